"""The pre-warmed parent of every execution environment.

Started once, in a clean environment (none of the app's secrets), it imports boto3 and reads the
service models the patterns use, then forks one child per execution environment on request.
A fork shares all of that already-loaded memory, which is why a cold start here costs tens of
milliseconds instead of the ~700 ms of a fresh interpreter.

Requests arrive as packets on the control socket (SOCK_SEQPACKET), each with a socket passed
as an fd (SCM_RIGHTS); the child serves its environment on that socket. The zygote reports
each child's exit status, so the lab can say `Runtime exited with error: signal: killed` as
AWS does. Inside bubblewrap (sandbox.py) each child narrows its own view and drops its
privileges before it serves its environment, and the lab asks the zygote to kill a child
(`{"kill": pid}`): pids are the sandbox's own.
"""

import gc
import importlib
import json
import os
import resource
import select
import signal
import socket
import sys

from . import environment, sandbox

SANDBOX = os.environ.get(sandbox.ENV_MODE)  # "root" or "user" inside bubblewrap

WARM_SERVICES = ("dynamodb", "s3", "sqs", "sns", "events", "kinesis", "stepfunctions",
                 "lambda", "logs", "apigateway", "firehose", "scheduler", "sts")


# Modules handlers commonly import, loaded once here so every child shares them.
PRELOADED_MODULES = ("decimal", "json", "logging", "urllib.request", "uuid", "zipfile", "csv",
                     "datetime", "base64", "hashlib", "re", "boto3.dynamodb.conditions")


def prewarm() -> None:
    """Import and parse everything a typical handler's Init would, once, for every child."""
    import boto3

    session = boto3.Session(region_name="us-east-1", aws_access_key_id="prewarm",
                            aws_secret_access_key="prewarm")
    for service in WARM_SERVICES:
        session.client(service, endpoint_url="http://127.0.0.1:1")
    for service in ("dynamodb", "s3", "sqs", "sns"):
        session.resource(service, endpoint_url="http://127.0.0.1:1")
    environment.WARM_LOADER = session._session.get_component("data_loader")
    for name in PRELOADED_MODULES:
        importlib.import_module(name)


def prewarm_requests(endpoint_url: str, credentials: dict) -> None:
    """One real request per common service, through a client and a resource: botocore
    imports and builds much of its request path (signing, endpoint rules, HTTP, parsing)
    lazily on the first call, which would otherwise be paid by every cold start."""
    import boto3

    session = boto3.Session(region_name="us-east-1", **credentials)
    calls = (("dynamodb", "list_tables"), ("s3", "list_buckets"), ("sqs", "list_queues"),
             ("sns", "list_topics"))
    for service, operation in calls:
        client = session.client(service, endpoint_url=endpoint_url)
        try:
            getattr(client, operation)()
        except Exception:  # noqa: BLE001 - only the code paths matter, not the answer
            pass
        client.close()
    table = session.resource("dynamodb", endpoint_url=endpoint_url).Table("lab-prewarm")
    try:
        table.put_item(Item={"id": "prewarm"})
    except Exception:  # noqa: BLE001 - the table does not exist; the error path is warmed too
        pass


def _reply(control: socket.socket, message: dict) -> None:
    # The control socket is SOCK_SEQPACKET: one message per packet, no framing needed.
    control.send(json.dumps(message).encode())


def exit_status(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal: {signal.Signals(os.WTERMSIG(status)).name.removeprefix('SIG').lower()}"
    return f"exit status {os.WEXITSTATUS(status)}"


def child_main(channel: socket.socket, request: dict) -> None:
    os.setsid()
    for name, value in request.get("limits", {}).items():
        resource.setrlimit(getattr(resource, name), (value, value))
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    if SANDBOX:
        sandbox.enter_worker(code=request["code"], layers=request.get("layers") or "",
                             mode=SANDBOX)
        environment.FREEZE_BETWEEN_INVOCATIONS = SANDBOX == "root"
    environment.Environment(channel).serve()


def serve(control: socket.socket) -> None:
    while True:
        ready, _, _ = select.select([control], [], [], 0.2)
        while True:  # report children that ended
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            try:
                _reply(control, {"exited": pid, "status": exit_status(status)})
            except OSError:
                return  # the lab went away
        if not ready:
            continue
        try:
            message, fds, _, _ = socket.recv_fds(control, 1 << 16, 1)
        except OSError:
            return
        if not message:
            return  # the lab went away
        request = json.loads(message)
        if "kill" in request:
            sandbox.kill_worker(int(request["kill"]), mode=SANDBOX,
                                sweep=request.get("sweep", True))
            continue
        channel = socket.socket(fileno=fds[0])
        pid = os.fork()
        if pid == 0:
            control.close()
            try:
                child_main(channel, request)
            finally:
                os._exit(1)
        channel.close()
        _reply(control, {"forked": pid, "token": request["token"]})


def main() -> None:
    control = socket.socket(fileno=int(sys.argv[1]))
    if SANDBOX:
        sandbox.prepare()
    prewarm()
    _reply(control, {"ready": os.getpid()})
    # The lab cloud's server answers only once the lab has heard "ready": warm up after it.
    # Fork requests wait in the control socket meanwhile. The warm-up's endpoint and
    # credentials come as the first packet, never on the command line (which /proc shows).
    if "--warm" in sys.argv:
        warm = json.loads(control.recv(1 << 16))
        prewarm_requests(warm["endpoint_url"], warm["credentials"])
    # Everything loaded so far is shared with every child: keep the collector from touching
    # (and so copying) those pages in each child.
    gc.collect()
    gc.freeze()
    serve(control)


if __name__ == "__main__":
    main()
