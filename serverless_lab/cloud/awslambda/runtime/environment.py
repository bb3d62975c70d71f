"""One Lambda execution environment: the code that runs inside a forked worker process.

The lab sends `init` once (module-level code runs: the Init phase) and then `invoke` messages,
one at a time, as AWS's runtime API does. Handler output and `logging` records are captured per
invocation and returned with the result, in the Python runtime's log format.
"""

import importlib
import io
import json
import logging
import os
import resource
import signal
import sys
import threading
import time
import traceback
from pathlib import Path

from . import protocol
from .sandbox import freeze_others

# Inside the sandbox as root (sandbox.py), this worker's uid is its own: between invocations
# its other processes are stopped, as AWS freezes an environment, and continued before the next.
FREEZE_BETWEEN_INVOCATIONS = False

LOG_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n"


class LambdaContext:
    """The context object AWS passes as the handler's second argument."""

    def __init__(self, *, request_id: str, deadline_ms: int, config: dict,
                 invoked_function_arn: str | None = None):
        self.aws_request_id = request_id
        self.function_name = config["function_name"]
        self.function_version = config.get("version", "$LATEST")
        # The ARN the caller used: with the alias or version if it named one.
        self.invoked_function_arn = invoked_function_arn or config["function_arn"]
        self.memory_limit_in_mb = str(config["memory_size"])
        self.log_group_name = config["log_group_name"]
        self.log_stream_name = config["log_stream_name"]
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


class _LambdaLogHandler(logging.Handler):
    """Writes records to whatever sys.stdout is now (the per-invocation capture)."""

    def __init__(self, environment: "Environment"):
        super().__init__()
        self.environment = environment
        formatter = logging.Formatter(LOG_FORMAT, "%Y-%m-%dT%H:%M:%S")
        formatter.converter = time.gmtime
        self.setFormatter(formatter)

    def emit(self, record):
        record.aws_request_id = self.environment.request_id or ""
        sys.stdout.write(self.format(record))


def error_document(exc: BaseException, request_id: str, error_type: str | None = None) -> dict:
    frames = traceback.extract_tb(exc.__traceback__)[1:]  # drop the runtime's own frame
    return {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(frames),
    }


class Environment:
    def __init__(self, channel):
        self.channel = channel
        self.handler = None
        self.config: dict = {}
        self.request_id = ""
        self.pid = os.getpid()

    def serve(self) -> None:
        while True:
            try:
                message = protocol.recv(self.channel)
            except protocol.ChannelClosed:
                os._exit(0)
            op = message["op"]
            if op == "init":
                reply = self.init(message["config"])
            elif op == "invoke":
                if FREEZE_BETWEEN_INVOCATIONS:
                    freeze_others(signal.SIGCONT)
                reply = self.invoke(message)
            else:
                continue
            if os.getpid() != self.pid:
                # A process the handler forked came back out of it: only the environment's
                # own process answers the lab.
                os._exit(0)
            if FREEZE_BETWEEN_INVOCATIONS:  # and tell the lab whether it has other processes
                reply["strays"] = freeze_others(signal.SIGSTOP)
            protocol.send(self.channel, reply)

    def init(self, config: dict) -> dict:
        self.config = config
        os.environ.clear()
        os.environ.update(config["environment"])
        os.chdir(config["task_root"])
        sys.path.insert(0, config["task_root"])
        if config.get("opt_root"):  # layers: /opt/python and its site-packages, as on AWS
            version = f"python{sys.version_info.major}.{sys.version_info.minor}"
            sys.path[1:1] = [f"{config['opt_root']}/python",
                             f"{config['opt_root']}/python/lib/{version}/site-packages"]
        _prefer_bundled_packages(config["task_root"])
        _use_warm_boto3_session()
        root = logging.getLogger()
        root.handlers = [_LambdaLogHandler(self)]
        root.setLevel(logging.WARNING)

        module_name, _, function_name = config["handler"].rpartition(".")
        out = io.StringIO()
        sys.stdout = sys.stderr = out
        started = time.perf_counter()
        try:
            module = importlib.import_module(module_name.replace("/", "."))
        except Exception as exc:  # noqa: BLE001 - any import failure is the learner's to see
            error = error_document(exc, "", "Runtime.ImportModuleError")
            error["errorMessage"] = f"Unable to import module '{module_name}': {exc}"
            error["stackTrace"] = []
            return self._init_result(started, out, error)
        self.handler = getattr(module, function_name, None)
        _limit_memory(int(config["memory_size"]))
        if not callable(self.handler):
            error = {"errorMessage": f"Handler '{function_name}' missing on module "
                     f"'{module_name}'", "errorType": "Runtime.HandlerNotFound",
                     "requestId": "", "stackTrace": []}
            return self._init_result(started, out, error)
        return self._init_result(started, out, None)

    def _init_result(self, started: float, out: io.StringIO, error: dict | None) -> dict:
        elapsed = (time.perf_counter() - started) * 1000
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        return {"init_ms": elapsed, "logs": out.getvalue(), "error": error}

    def invoke(self, message: dict) -> dict:
        self.request_id = message["request_id"]
        if "trace_id" in message:
            # As the Lambda runtime does for each invocation; the AWS SDK sends it on as
            # X-Amzn-Trace-Id, which is how recursive loops are followed.
            os.environ["_X_AMZN_TRACE_ID"] = message["trace_id"]
        context = LambdaContext(request_id=self.request_id, deadline_ms=message["deadline_ms"],
                                config=self.config,
                                invoked_function_arn=message.get("invoked_function_arn"))
        out = io.StringIO()
        sys.stdout = sys.stderr = out
        error = None
        payload = None
        started = time.perf_counter()
        fatal = False
        try:
            event = json.loads(message["event"])
            result = self.handler(event, context)
            payload = json.dumps(result)
        except MemoryError:
            # On AWS the kernel kills an environment that outgrows its memory; here the
            # allocation fails first, and the environment is discarded all the same.
            fatal = True
            error = {"errorType": "Runtime.OutOfMemory", "errorMessage":
                     f"RequestId: {self.request_id} Error: Runtime exited with error: "
                     "signal: killed"}
            out.write(f"RequestId: {self.request_id} Error: Runtime exited with error: "
                      "signal: killed\nRuntime.OutOfMemory\n")
        except Exception as exc:  # noqa: BLE001 - an unhandled error is what AWS reports
            error = error_document(exc, self.request_id)
            trace = "".join(traceback.format_exception(exc))
            out.write(f"[ERROR] {error['errorType']}: {error['errorMessage']}\n{trace}")
        elapsed = (time.perf_counter() - started) * 1000
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        max_rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return {
            "duration_ms": elapsed,
            "payload": payload,
            "error": error,
            "logs": out.getvalue(),
            "max_memory_mb": (int(self.config["memory_size"]) if fatal
                              else max(1, round(max_rss_kb / 1024))),
            "fatal": fatal,
        }


def _prefer_bundled_packages(task_root: str) -> None:
    """Forget preloaded modules that the function bundles its own copy of (a pinned boto3,
    six...), so its import finds the bundled one first, as on AWS."""
    root = Path(task_root)
    bundled = ({p.name for p in root.iterdir() if (p / "__init__.py").exists()}
               | {p.stem for p in root.glob("*.py")})
    for name in [n for n in sys.modules if n.split(".")[0] in bundled]:
        del sys.modules[name]


THREAD_STACK_BYTES = 512 * 1024


def _limit_memory(memory_size_mb: int) -> None:
    """Cap the environment at its function's MemorySize: the address space may grow only by
    what is left of MemorySize beyond the memory already resident (which is what AWS counts
    as Max Memory Used). Thread stacks are kept small so threads do not eat the budget."""
    status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines()
                  if ":" in line)
    size_kb = int(status["VmSize"].split()[0])
    resident_kb = int(status["VmRSS"].split()[0])
    headroom_kb = max(memory_size_mb * 1024 - resident_kb, 16 * 1024)
    limit = (size_kb + headroom_kb) * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    threading.stack_size(THREAD_STACK_BYTES)


WARM_LOADER = None  # set by the zygote: a botocore loader with service models already read


def _use_warm_boto3_session() -> None:
    """A fresh default boto3 session (this function's credentials and endpoint, read from the
    environment just set) that reuses the parent's already-parsed service models."""
    if WARM_LOADER is None:
        return
    import boto3
    import botocore.session

    session = botocore.session.Session()
    session.register_component("data_loader", WARM_LOADER)
    boto3.setup_default_session(botocore_session=session)
