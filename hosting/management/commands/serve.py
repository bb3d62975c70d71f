"""Serve a class: migrate, collect static files, then run and watch the lab cloud, the task
worker and the web app under granian (what `make serve` runs)."""

import os
import signal
import sys
import time
from urllib.parse import urlparse

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from hosting.supervisor import ChildSpec, Supervisor, python_argv
from sandboxes.shards import local_shard_urls
from serverless_lab.cloud.client import LabClient

LAB_START_SECONDS = 120


class Command(BaseCommand):
    help = ("Serve a class: the lab cloud, the task worker and the web app (granian, one "
            "worker per core), restarted when they die; Ctrl-C stops everything.")

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--lab-host", default=settings.LAB_CLOUD_HOST)
        parser.add_argument("--lab-port", type=int, default=settings.LAB_CLOUD_PORT)
        parser.add_argument("--shards", type=int, default=os.cpu_count() or 1,
                            help="run the lab cloud as N shards (`lab serve --shards N`, on "
                                 "--lab-port + i); default: one per core; 0: one unsharded "
                                 "lab cloud process")
        parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                            help="web worker processes (default: one per core)")
        parser.add_argument("--threads", type=int, default=16,
                            help="threads per web worker (a run waits on the lab cloud)")
        parser.add_argument("--interface", choices=["wsgi", "asgi"],
                            default=os.environ.get("SERVE_INTERFACE", "wsgi"),
                            help="how granian calls Django (SERVE_INTERFACE): WSGI (default: "
                                 "pages measured twice as fast) or ASGI (the live quiz then "
                                 "streams server-sent events instead of polling)")
        parser.add_argument("--skip-setup", action="store_true",
                            help="do not migrate and collect static files first")

    def handle(self, *args, **options):
        sys.stdout.reconfigure(line_buffering=True)  # logs read as they come, even from a file
        if not options["skip_setup"]:
            call_command("migrate", interactive=False, verbosity=0)
            call_command("collectstatic", interactive=False, verbosity=0)
            self.stdout.write("Migrated; static files collected.")
        lab_url = _lab_url(options["lab_host"], options["lab_port"])
        env, lab_args, shard_urls = {"LAB_CLOUD_URL": lab_url}, [], [lab_url]
        if options["shards"]:
            # The web app and the worker find shard i at the lab URL's port + i (LAB_SHARDS).
            env["LAB_SHARDS"] = str(options["shards"])
            lab_args = ["--shards", str(options["shards"])]
            shard_urls = local_shard_urls(lab_url, options["shards"])
        supervisor = Supervisor(write=self.stdout.write, env=env)
        signal.signal(signal.SIGTERM, supervisor.stop)
        signal.signal(signal.SIGINT, supervisor.stop)
        manage = os.path.join(settings.BASE_DIR, "manage.py")
        supervisor.start(ChildSpec("lab", python_argv(
            manage, "lab", "serve", "--host", options["lab_host"],
            "--port", str(options["lab_port"]), *lab_args), restart=True))
        if not all(_wait_healthy(LabClient(url), supervisor) for url in shard_urls):
            supervisor.stop()
            supervisor.run()
            raise CommandError(f"the lab cloud did not answer at {lab_url}")
        supervisor.start(ChildSpec("worker", python_argv(
            manage, "db_worker", "--no-reload", "--queue-name", "*"), restart=True))
        if options["shards"]:
            # Idle sandboxes are evicted in the background, never inside a page request.
            supervisor.start(ChildSpec("evict", python_argv(
                manage, "sandboxes", "evict", "--every", "300"), restart=True))
        supervisor.start(ChildSpec("web", python_argv(
            "-m", "granian", *_web_args(options)), restart=False))
        if options["host"] not in ("127.0.0.1", "localhost") and not os.environ.get(
                "ALLOWED_HOSTS"):
            self.stderr.write("ALLOWED_HOSTS is not set: learners reaching this server by "
                              "its name or address get 400 Bad Request until it names them.")
        self.stdout.write(f"Serving a class at http://{options['host']}:{options['port']}/ "
                          f"({options['workers']} web workers; lab cloud at {lab_url}; "
                          "Ctrl-C stops everything)")
        if supervisor.run():
            raise CommandError(f"{supervisor.failed} stopped; everything else stopped too")
        self.stdout.write("Stopped.")


def _web_args(options: dict) -> list[str]:
    """granian's arguments for the web app. WSGI calls views on its blocking threads; ASGI
    runs each sync view in a thread of its own request (asgiref), async views in the loop."""
    interface = options["interface"]
    threads = ["--blocking-threads", str(options["threads"])] if interface == "wsgi" else []
    return ["--interface", interface, "--host", options["host"], "--port",
            str(options["port"]), "--workers", str(options["workers"]), *threads, "--no-ws",
            f"hosting.web:{interface}_application"]  # pages warmed before the first request


def _lab_url(host: str, port: int) -> str:
    reach = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    configured = urlparse(settings.LAB_CLOUD_URL)
    if (configured.hostname, configured.port) == (reach, port):
        return settings.LAB_CLOUD_URL
    return f"http://{reach}:{port}"


def _wait_healthy(client: LabClient, supervisor: Supervisor) -> bool:
    deadline = time.monotonic() + LAB_START_SECONDS
    while time.monotonic() < deadline and not supervisor.stopping.is_set():
        if client.healthy():
            return True
        if supervisor.children["lab"].poll() is not None:
            return False
        time.sleep(0.2)
    return False
