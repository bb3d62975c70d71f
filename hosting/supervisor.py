"""Child processes run side by side, their output prefixed, restarted when they die.

Plain Python (no Django), so `manage.py serve` stays a short list of what to start."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

STOP_GRACE_SECONDS = 10
MAX_BACKOFF_SECONDS = 30
STABLE_AFTER_SECONDS = 30  # a child that ran this long restarts at once, not after a backoff


@dataclass
class ChildSpec:
    name: str
    argv: list[str]
    restart: bool  # restarted when it dies; a child that is not ends the whole group
    env: dict[str, str] = field(default_factory=dict)


class Supervisor:
    """Starts children in their own process groups (Ctrl-C reaches only us; we pass SIGTERM
    on), prefixes their output lines with their name, restarts the ones marked so."""

    def __init__(self, *, write: Callable[[str], None] = print, env: dict | None = None):
        self._write, self._write_lock = write, threading.Lock()
        self.env = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"}
        self.children: dict[str, subprocess.Popen] = {}
        self.specs: dict[str, ChildSpec] = {}
        self.stopping = threading.Event()
        self.failed: str | None = None  # the child whose death ended the group
        self._lock = threading.Lock()

    def write(self, line: str) -> None:
        with self._write_lock:
            self._write(line)

    def start(self, spec: ChildSpec) -> subprocess.Popen:
        self.specs[spec.name] = spec
        process = subprocess.Popen(
            spec.argv, env={**self.env, **spec.env}, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
            text=True, errors="replace", bufsize=1)
        with self._lock:
            self.children[spec.name] = process
        threading.Thread(target=self._pump, args=(spec.name, process), daemon=True).start()
        self.write(f"[serve] started {spec.name} (pid {process.pid})")
        return process

    def _pump(self, name: str, process: subprocess.Popen) -> None:
        for line in process.stdout:
            self.write(f"[{name}] {line.rstrip()}")

    def run(self) -> int:
        """Watch the children until stop() or a child that is not restarted dies; then stop
        them all. 0 after stop(), 1 when a child ended the group."""
        started = {name: time.monotonic() for name in self.children}
        backoff = {name: 1.0 for name in self.children}
        while not self.stopping.wait(0.2):
            for name, process in list(self.children.items()):
                code = process.poll()
                if code is None:
                    continue
                spec = self.specs[name]
                self.write(f"[serve] {name} exited with {_exit_text(code)}")
                if not spec.restart:
                    self.failed = name
                    self.stop()
                    break
                ran = time.monotonic() - started[name]
                backoff[name] = 1.0 if ran > STABLE_AFTER_SECONDS else min(
                    backoff[name] * 2, MAX_BACKOFF_SECONDS)
                self.write(f"[serve] restarting {name} in {backoff[name]:.0f} s")
                if self.stopping.wait(backoff[name]):
                    break
                self.start(spec)
                started[name] = time.monotonic()
        self._terminate_all()
        return 1 if self.failed else 0

    def stop(self, *_signal_args) -> None:
        self.stopping.set()

    def _terminate_all(self) -> None:
        with self._lock:
            running = [(n, p) for n, p in self.children.items() if p.poll() is None]
        for name, process in reversed(running):  # the web app first, the lab cloud last
            self.write(f"[serve] stopping {name}")
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for name, process in running:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.write(f"[serve] {name} did not stop in {STOP_GRACE_SECONDS} s: killed")
            # Whatever the child left in its group (granian's workers, Lambda workers) goes too.
            _signal_group(process, signal.SIGKILL)
            process.wait()


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _exit_text(code: int) -> str:
    if code < 0:
        return f"signal {signal.Signals(-code).name}"
    return f"code {code}"


def python_argv(*args: str) -> list[str]:
    return [sys.executable, *args]
