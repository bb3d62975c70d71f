"""The lab's handle on the zygote: start it clean, ask it to fork, learn how children ended."""

import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[3]
# What a worker may inherit from the machine. Everything else (SECRET_KEY, database URLs,
# the app's own AWS credentials) stays out of reach of learners' handler code.
INHERITED_VARIABLES = ("PATH", "LANG", "LC_ALL", "TZ")


class SpawnerError(RuntimeError):
    pass


class Spawner:
    def __init__(self, *, endpoint_url: str | None = None,
                 warmup_credentials: dict | None = None) -> None:
        self._control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = {k: os.environ[k] for k in INHERITED_VARIABLES if k in os.environ}
        env["PYTHONPATH"] = str(PROJECT_ROOT)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        command = [sys.executable, "-m", "serverless_lab.cloud.awslambda.runtime.zygote",
                   str(theirs.fileno())]
        if endpoint_url and warmup_credentials:
            command += [endpoint_url, json.dumps(warmup_credentials)]
        self.process = subprocess.Popen(
            command,
            pass_fds=[theirs.fileno()], env=env, cwd="/", stdin=subprocess.DEVNULL,
        )
        theirs.close()
        ready = json.loads(self._control.recv(65536) or b"{}")
        if "ready" not in ready:
            raise SpawnerError("the Lambda runtime's zygote did not start")
        self._lock = threading.Lock()
        self._forks: dict[str, dict] = {}
        self._exits: dict[int, str] = {}
        self._changed = threading.Condition()
        self._token = 0
        threading.Thread(target=self._read, name="zygote-reader", daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                packet = self._control.recv(65536)
            except OSError:
                packet = b""
            with self._changed:
                if not packet:
                    self._changed.notify_all()
                    return
                message = json.loads(packet)
                if "forked" in message:
                    self._forks[message["token"]] = message
                else:
                    self._exits[message["exited"]] = message["status"]
                    while len(self._exits) > 1000:  # nobody asked about these: forget them
                        self._exits.pop(next(iter(self._exits)))
                self._changed.notify_all()

    def fork(self, *, limits: dict[str, int]) -> tuple[int, socket.socket]:
        """A new child of the zygote and the socket its environment listens on."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        with self._lock:
            self._token += 1
            token = str(self._token)
            request = json.dumps({"token": token, "limits": limits}).encode()
            socket.send_fds(self._control, [request], [theirs.fileno()])
        theirs.close()
        with self._changed:
            if not self._changed.wait_for(lambda: token in self._forks, timeout=10):
                raise SpawnerError("the Lambda runtime's zygote did not fork in time")
            return self._forks.pop(token)["forked"], ours

    def exit_status(self, pid: int, *, wait: float = 1.0) -> str | None:
        """How child pid ended (`signal: killed`, `exit status 1`), once the zygote knows."""
        with self._changed:
            self._changed.wait_for(lambda: pid in self._exits, timeout=wait)
            return self._exits.pop(pid, None)

    def forget_exit(self, pid: int) -> None:
        with self._changed:
            self._exits.pop(pid, None)

    def close(self) -> None:
        self._control.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
