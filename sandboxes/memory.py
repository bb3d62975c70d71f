"""The memory of one idle sandbox with a pattern deployed: a lab cloud process of its own
(`lab serve` on a free port), its RSS before and after deploying into N new sandboxes, and
after evicting them (`python manage.py sandboxes memory --count 20`)."""

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from patterns.catalog import pattern_get
from serverless_lab.cloud.client import LabClient

START_SECONDS = 120


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no VmRSS for process {pid}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def idle_sandbox_memory(*, count: int, slug: str = "rest-api",
                        write: Callable[[str], None] = print) -> dict:
    pattern = pattern_get(slug)
    if pattern is None:
        raise ValueError(f"no pattern {slug!r}")
    port = free_port()
    token = secrets.token_urlsafe(32)  # this measurement's own lab cloud, its own token
    with tempfile.TemporaryDirectory() as data_dir:
        process = subprocess.Popen(
            [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "lab", "serve",
             "--port", str(port), "--data-dir", data_dir],
            env={**os.environ, "LAB_CONTROL_TOKEN": token},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            client = LabClient(f"http://127.0.0.1:{port}", token=token)
            deadline = time.monotonic() + START_SECONDS
            while not client.healthy():
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the lab cloud did not start")
                time.sleep(0.2)
            figures = {"started_mb": rss_mb(process.pid)}
            # One sandbox first: what every deploy loads once (translator, caches) is not
            # a sandbox's own.
            client.deploy("memory-warmup", str(pattern.folder), stack=slug)
            before = figures["after_warmup_mb"] = rss_mb(process.pid)
            started = time.perf_counter()
            for i in range(count):
                client.deploy(f"memory-{i}", str(pattern.folder), stack=slug)
            write(f"deployed {slug} into {count} new sandboxes in "
                  f"{time.perf_counter() - started:.1f} s")
            after = figures[f"after_{count}_sandboxes_mb"] = rss_mb(process.pid)
            figures["per_idle_sandbox_mb"] = round((after - before) / count, 2)
            for i in range(count):
                client.reset(f"memory-{i}", forget=True)
            evicted = figures["after_eviction_mb"] = rss_mb(process.pid)
            figures["freed_per_sandbox_mb"] = round((after - evicted) / count, 2)
            # The allocator keeps what was freed for reuse rather than giving it back to the
            # system: as many new sandboxes again add little.
            for i in range(count):
                client.deploy(f"memory-next-{i}", str(pattern.folder), stack=slug)
            figures[f"after_{count}_more_sandboxes_mb"] = rss_mb(process.pid)
            return figures
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
