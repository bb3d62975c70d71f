"""Handlers that misbehave, to prove the runtime contains them."""

import os


def exit_now(event, context):
    os._exit(3)


def spin(event, context):
    while True:
        pass


def print_environment(event, context):
    return dict(os.environ)


def big_file(event, context):
    chunk = b"x" * (1024 * 1024)
    with open("/tmp/lab-big-file", "wb") as f:
        for _ in range(600):  # 600 MB, past the 512 MB that /tmp allows by default
            f.write(chunk)
    return "written"


def memory_bomb(event, context):
    hoard = []
    while True:
        hoard.append(bytearray(16 * 1024 * 1024))


# What a handler that the lab did not write would try on a class server (issue 11). Each
# lets its error escape, so the invocation's error document shows what the sandbox said.

def read_file(event, context):
    with open(event["path"], "rb") as f:
        return f.read().decode(errors="replace")


def list_dir(event, context):
    return sorted(os.listdir(event["path"]))


def write_file(event, context):
    with open(event["path"], "w") as f:
        f.write(event.get("text", "written by a handler"))
    return sorted(os.listdir(os.path.dirname(event["path"])))


def whoami(event, context):
    status = dict(line.split(":\t", 1) for line in open("/proc/self/status").read().splitlines()
                  if ":\t" in line)
    return {"uid": os.getuid(), "gid": os.getgid(), "CapEff": status["CapEff"].strip(),
            "CapBnd": status["CapBnd"].strip(), "NoNewPrivs": status["NoNewPrivs"].strip(),
            "task_root": os.environ["LAMBDA_TASK_ROOT"], "cwd": os.getcwd()}


def call_control(event, context):
    """Ask the lab cloud's control API for another learner's sandbox (and credentials)."""
    import json
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        os.environ["AWS_ENDPOINT_URL"] + "/_lab/sandboxes", method="POST",
        data=json.dumps({"learner": event["learner"]}).encode(),
        headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return {"status": response.status, "body": response.read().decode()}
    except urllib.error.HTTPError as e:
        return {"status": e.code, "body": e.read().decode()}


def connect(event, context):
    import socket

    with socket.create_connection((event["host"], event["port"]), timeout=3):
        return "connected"


def fork_bomb(event, context):
    """Fork children that spin until the process limit says no, hold the CPU for a while
    (`hold` seconds) so the test can see the lab serve others meanwhile, then raise what
    fork raised."""
    import time

    refused = None
    while refused is None:
        try:
            if os.fork() == 0:
                while True:
                    pass
        except OSError as e:
            refused = e
    deadline = time.monotonic() + event.get("hold", 0)
    while time.monotonic() < deadline:
        pass
    raise refused


def peek_at_others(event, context):
    """Every other process this handler can see: which it could read or signal."""
    readable, signalable, seen = [], [], []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        seen.append(int(name))
        try:
            with open(f"/proc/{name}/environ", "rb") as f:
                f.read()
            readable.append(int(name))
        except OSError:
            pass
        try:
            os.kill(int(name), 0)
            signalable.append(int(name))
        except OSError:
            pass
    return {"seen": seen, "readable": readable, "signalable": signalable}
