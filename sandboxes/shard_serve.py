"""`lab serve --shards N`: N lab cloud processes, each its own port and data folder, each
owning the accounts of the learners placed on it; restarted when one dies, all stopped on
SIGTERM or Ctrl-C."""

import os
import signal
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

from hosting.supervisor import ChildSpec, Supervisor, python_argv

BAD_PORTS = "--ports lists {count} port number(s) separated by commas (got {ports!r})"
PARENT_CHECK_SECONDS = 1.0


def shard_ports(*, port: int, count: int | None, ports: str | None) -> list[int]:
    if ports:
        try:
            listed = [int(p) for p in ports.split(",") if p.strip()]
        except ValueError:
            listed = []
        if not listed or (count is not None and len(listed) != count) or min(listed) < 0:
            raise CommandError(BAD_PORTS.format(count=count or "the", ports=ports))
        return listed
    if count is None or count < 1:
        raise CommandError("--shards is a whole number, 1 or more")
    return [port + i for i in range(count)]


def shards_serve(*, host: str, port: int, count: int | None, ports: str | None,
                 data_dir: Path | None, write: Callable[[str], None]) -> None:
    listed = shard_ports(port=port, count=count, ports=ports)
    base = Path(data_dir or os.environ.get("LAB_DATA_DIR")
                or Path(tempfile.gettempdir()) / "serverless-lab")
    supervisor = Supervisor(write=write)
    signal.signal(signal.SIGTERM, supervisor.stop)
    signal.signal(signal.SIGINT, supervisor.stop)
    manage = str(Path(settings.BASE_DIR) / "manage.py")
    websocket_port = os.environ.get("LAB_WEBSOCKET_PORT")
    for i, shard_port in enumerate(listed):
        # A fixed WebSocket port (open to the class) cannot be shared: shard i takes + i.
        env = {"LAB_WEBSOCKET_PORT": str(int(websocket_port) + i)} if websocket_port else {}
        supervisor.start(ChildSpec(f"shard-{i}", python_argv(
            manage, "lab", "serve", "--host", host, "--port", str(shard_port),
            "--data-dir", str(base / f"shard-{i}"), "--parent-pid", str(os.getpid())),
            restart=True, env=env))
    reach = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    urls = ",".join(f"http://{reach}:{p}" for p in listed)
    write(f"[serve] {len(listed)} lab shards; the web app finds them with "
          f"LAB_CLOUD_URLS={urls} (Ctrl-C stops them all)")
    supervisor.run()


def parent_watch(parent_pid: int, stop: threading.Event) -> None:
    """Set `stop` when the process that started us is gone (even if it was SIGKILLed)."""

    def watch():
        while not stop.wait(PARENT_CHECK_SECONDS):
            if os.getppid() != parent_pid:
                stop.set()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
