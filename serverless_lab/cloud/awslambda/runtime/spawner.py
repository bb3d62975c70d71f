"""The lab's handle on the zygote: start it clean (inside bubblewrap where it can: sandbox.py),
ask it to fork and to kill, learn how children ended."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

from . import sandbox

PROJECT_ROOT = Path(__file__).resolve().parents[4]
# What a worker may inherit from the machine. Everything else (SECRET_KEY, database URLs,
# the app's own AWS credentials) stays out of reach of learners' handler code.
INHERITED_VARIABLES = ("PATH", "LANG", "LC_ALL", "TZ")


class SpawnerError(RuntimeError):
    pass


class Spawner:
    def __init__(self, *, endpoint_url: str | None = None,
                 warmup_credentials: dict | None = None, functions_dir: Path | None = None,
                 share_dir: Path | None = None) -> None:
        """`functions_dir` holds every function's unpacked code (one folder per code hash) and
        `share_dir` the files every worker may read; inside the sandbox they are its only
        view of the lab's data. Without them, or without bubblewrap, workers are plain forks
        (`contained` is None); else `contained` is the sandbox's mode ("root" or "user")."""
        self._control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = {k: os.environ[k] for k in INHERITED_VARIABLES if k in os.environ}
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        zygote_args = [str(theirs.fileno())]
        warm = bool(endpoint_url and warmup_credentials)
        if warm:
            zygote_args.append("--warm")
        bwrap = sandbox.bwrap_path() if functions_dir and share_dir else None
        self.contained: str | None = None
        self.uid_block: int | None = None
        self._uid_lock = None
        if bwrap:
            functions_dir.mkdir(parents=True, exist_ok=True)
            share_dir.mkdir(parents=True, exist_ok=True)
            command, self.contained = sandbox.bwrap_command(
                bwrap, functions_dir=functions_dir, share_dir=share_dir,
                zygote_args=zygote_args)
            if self.contained == "root":  # workers' uids: a block of this zygote's own
                self.uid_block, self._uid_lock = sandbox.uid_block_claim()
                env[sandbox.ENV_UID_BLOCK] = str(self.uid_block)
        else:
            env["PYTHONPATH"] = str(PROJECT_ROOT)
            command = [sys.executable, "-m", "serverless_lab.cloud.awslambda.runtime.zygote",
                       *zygote_args]
        self.process = subprocess.Popen(
            command,
            pass_fds=[theirs.fileno()], env=env, cwd="/", stdin=subprocess.DEVNULL,
        )
        theirs.close()
        ready = json.loads(self._control.recv(65536) or b"{}")
        if "ready" not in ready:
            raise SpawnerError("the Lambda runtime's zygote did not start"
                               + (" inside bubblewrap" if bwrap else ""))
        if warm:
            self._control.send(json.dumps({"endpoint_url": endpoint_url,
                                           "credentials": warmup_credentials}).encode())
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

    def fork(self, *, limits: dict[str, int], code: str,
             layers: str = "") -> tuple[int, socket.socket]:
        """A new child of the zygote and the socket its environment listens on. `code` is the
        function's code hash: in the sandbox, the one folder of functions_dir it sees (and
        `layers`, its layers' hash, the one it sees at /opt)."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        with self._lock:
            self._token += 1
            token = str(self._token)
            request = json.dumps({"token": token, "limits": limits, "code": code,
                                  "layers": layers}).encode()
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

    def kill(self, pid: int, *, sweep: bool = True) -> None:
        """End child pid and its processes (in the sandbox, pids are the zygote's to use);
        `sweep`: it may have processes outside its process group (sandbox.kill_worker)."""
        if not self.contained:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            return
        try:
            with self._lock:
                self._control.send(json.dumps({"kill": pid, "sweep": sweep}).encode())
        except OSError:
            pass  # the zygote is gone, and its children with it

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
            self.process.wait()
        if self._uid_lock is not None:
            self._uid_lock.close()  # the block is free again (its workers died with bwrap)
