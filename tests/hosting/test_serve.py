"""`manage.py serve` serves a class: the web app (granian, static files through whitenoise)
reaches the lab cloud it started, the task worker runs what is queued, a child that dies is
restarted, and SIGTERM stops everything."""

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.hosting.conftest import ROOT, free_port, free_ports

ENQUEUE = "import worker_tasks; print(worker_tasks.echo.enqueue(text='served').id)"
STATUS = ("from django.tasks import task_backends; "
          "print(task_backends['default'].get_result({id!r}).status)")


class Served:
    def __init__(self, process: subprocess.Popen, log: Path, url: str):
        self.process, self.log, self.url = process, log, url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def output(self) -> str:
        return self.log.read_text()

    def wait_for(self, pattern: str, timeout: float = 300) -> re.Match:
        deadline = time.monotonic() + timeout
        while not (match := re.search(pattern, self.output(), re.MULTILINE)):
            assert self.process.poll() is None, f"serve ended:\n{self.output()}"
            assert time.monotonic() < deadline, f"no {pattern!r} in:\n{self.output()}"
            time.sleep(0.1)
        return match

    def pids(self) -> dict[str, list[int]]:
        found: dict[str, list[int]] = {}
        for name, pid in re.findall(r"^\[serve\] started (\w+) \(pid (\d+)\)", self.output(),
                                    re.MULTILINE):
            found.setdefault(name, []).append(int(pid))
        return found

    def request(self, path: str, data: dict | None = None, headers: dict | None = None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.url + path, data=body, headers=headers or {})
        try:
            with self.opener.open(request, timeout=120) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()


@pytest.fixture
def served(manage, tmp_path):
    log = tmp_path / "serve.log"
    port, lab_port = free_port(), free_ports(2)[0]  # two shards: lab_port and lab_port + 1
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--port", str(port),
             "--lab-port", str(lab_port), "--shards", "2", "--workers", "1", "--threads", "4"],
            cwd=ROOT, env=manage.env, stdout=out, stderr=subprocess.STDOUT)
    served = Served(process, log, f"http://127.0.0.1:{port}")
    yield served
    if process.poll() is None:
        process.kill()
        process.wait()
        for pids in served.pids().values():
            for pid in pids:
                _kill_group(pid)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie waiting for its parent to read it is gone in all but name.
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def test_serve_runs_the_web_app_lab_cloud_and_worker_and_stops_them_all(served, manage, tmp_path):
    served.wait_for(r"^Serving a class at ")
    served.wait_for(r"^\[web\] .*Started worker-1")

    # The page, its static files under their hashed names, served by whitenoise.
    status, _, page = served.request("/patterns/rest-api/")
    assert status == 200
    css = re.search(rb'href="(/static/css/site\.[0-9a-f]{12}\.css)"', page).group(1).decode()
    status, headers, body = served.request(css)
    assert status == 200
    assert body == (ROOT / "static/css/site.css").read_bytes()
    assert "immutable" in headers["Cache-Control"]

    # A run goes from the web app to the lab cloud serve started (LAB_CLOUD_URL).
    token = re.search(rb'"X-CSRFToken": "([^"]+)"', page).group(1).decode()
    status, _, trace = served.request("/patterns/rest-api/run/",
                                      {"scenario": "create-then-get"},
                                      {"X-CSRFToken": token, "HX-Request": "true",
                                       "Referer": served.url + "/patterns/rest-api/"})
    assert status == 200
    assert b'class="badge ok">passed' in trace, trace.decode()[:2000]

    # The task worker runs what is queued in the database.
    task_id = manage("shell", "-v", "0", "-c", ENQUEUE).stdout.splitlines()[-1]
    deadline = time.monotonic() + 300  # generous: a loaded 2-core machine starts shells slowly
    while manage("shell", "-v", "0", "-c", STATUS.format(id=task_id)).stdout.strip() \
            != "SUCCESSFUL":
        assert time.monotonic() < deadline, served.output()

    # A worker that dies is reported and started again.
    first_worker = served.pids()["worker"][0]
    os.kill(first_worker, signal.SIGKILL)
    served.wait_for(r"^\[serve\] worker exited with signal SIGKILL")
    served.wait_for(rf"^\[serve\] started worker \(pid (?!{first_worker}\))")

    # The generated secret key is kept for the next start, readable by its owner alone.
    key = tmp_path / "data" / "secret_key"
    assert key.stat().st_mode & 0o777 == 0o600

    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=60) == 0, served.output()
    assert served.output().rstrip().endswith("Stopped.")
    assert not [pid for pids in served.pids().values() for pid in pids if _alive(pid)]
    with pytest.raises(OSError):
        urllib.request.urlopen(served.url + "/", timeout=5)


def test_the_web_app_runs_under_wsgi_by_default_and_asgi_when_asked():
    from hosting.management.commands.serve import _web_args

    options = {"host": "127.0.0.1", "port": 8000, "workers": 2, "threads": 16}
    wsgi = _web_args({**options, "interface": "wsgi"})
    assert wsgi[:2] == ["--interface", "wsgi"] and "--blocking-threads" in wsgi
    assert wsgi[-1] == "hosting.web:wsgi_application"
    asgi = _web_args({**options, "interface": "asgi"})
    assert asgi[:2] == ["--interface", "asgi"] and asgi[-1] == "hosting.web:asgi_application"


def test_serve_refuses_an_interface_it_does_not_know(manage):
    result = subprocess.run([sys.executable, "manage.py", "serve", "--interface", "http3"],
                            cwd=ROOT, env=manage.env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode != 0
    assert "invalid choice: 'http3'" in result.stderr


def test_the_asgi_application_serves_pages_under_granian(manage):
    """The application serve names (hosting/web.py: its pages warmed first) under ASGI."""
    manage("migrate", "--noinput")
    port = free_port()
    env = {**manage.env, "DJANGO_SETTINGS_MODULE": "serverless_lab.settings.test"}
    server = subprocess.Popen(
        [sys.executable, "-m", "granian", "--interface", "asgi", "--port", str(port),
         "--workers", "1", "--no-ws", "hosting.web:asgi_application"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/quizzes/",
                                            timeout=10) as response:
                    assert response.status == 200
                    assert b"<html" in response.read()
                    break
            except urllib.error.URLError:
                assert server.poll() is None and time.monotonic() < deadline, "no web server"
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=30)


# Transactional: the warm-up sends requests as a server does, and Django's request_started
# closes the connection of a transaction it finds open (the test's own, otherwise).
@pytest.mark.django_db(transaction=True)
def test_every_pattern_page_is_warmed_and_a_warmed_page_renders_the_same():
    from django.test import Client

    from hosting.web import pages_warm, wsgi_application
    from patterns.catalog import catalog

    statuses = pages_warm(wsgi_application)
    assert len(statuses) == len(catalog()) + 1
    assert set(statuses.values()) == {200}, statuses
    assert "/patterns/rest-api/" in statuses
    page = Client().get("/patterns/rest-api/")  # served from what the warm-up cached
    assert page.status_code == 200 and "create-then-get" in page.text
    assert pages_warm(wsgi_application, paths=["/patterns/no-such-pattern/"]) == {
        "/patterns/no-such-pattern/": 404}
