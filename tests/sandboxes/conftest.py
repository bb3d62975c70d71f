"""`lab serve --shards 2` in a subprocess on free ports, and the web app pointed at it."""

import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import free_ports

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 120




def health(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(f"{url}/_lab/health", timeout=5) as response:
            return json.load(response)
    except OSError:
        return None


def wait_for(condition, *, timeout: float = START_SECONDS, what: str = "a condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := condition():
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Shards:
    def __init__(self, process: subprocess.Popen, urls: list[str]):
        self.process, self.urls, self.lines = process, urls, []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line.rstrip())

    def health(self, i: int) -> dict | None:
        return health(self.urls[i])

    def output(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    urls_ports = free_ports(2)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["LAB_CONTROL_TOKEN"] = token = secrets.token_urlsafe(32)  # these shards' own
    process = subprocess.Popen(
        [sys.executable, "manage.py", "lab", "serve", "--shards", "2",
         "--ports", ",".join(map(str, urls_ports)),
         "--data-dir", str(tmp_path_factory.mktemp("shards"))],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True)
    running = Shards(process, [f"http://127.0.0.1:{p}" for p in urls_ports])
    running.token = token
    try:
        wait_for(lambda: all(running.health(i) for i in range(2)), what="two shards")
        yield running
    finally:
        pids = [h["pid"] for i in range(2) if (h := running.health(i))]
        process.send_signal(signal.SIGTERM)
        process.wait(30)
        # The supervisor stopped every shard with it.
        wait_for(lambda: not any(_alive(pid) for pid in pids), timeout=30,
                 what="the shards to stop")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def sharded(shards, settings):
    """The web app's settings pointing at the two shards (as LAB_CLOUD_URLS would)."""
    settings.LAB_CLOUD_URLS = shards.urls
    settings.LAB_CLOUD_URL = shards.urls[0]
    settings.LAB_CONTROL_TOKEN = shards.token
    return shards
