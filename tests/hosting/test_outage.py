"""The database away for a moment: pages answer 503 with a retry hint, then work again.

A real web server (granian) on a scratch database that is made unreachable (the SQLite file's
folder moved away; on PostgreSQL, the database refusing connections)."""

import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from email.message import Message

import pytest
from django.db.utils import OperationalError

from hosting.outage import DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS
from hosting.views import server_error
from tests.hosting.conftest import ROOT, free_port


def _get(url: str, headers: dict | None = None) -> tuple[int, Message, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


@pytest.fixture
def web(manage):
    """The web app alone under granian on the scratch database (test settings: no lab cloud
    is needed for the quiz pages)."""
    manage("migrate", "--noinput")
    manage("quiz", "load")
    port = free_port()
    env = {**manage.env, "DJANGO_SETTINGS_MODULE": "serverless_lab.settings.test"}
    server = subprocess.Popen(
        [sys.executable, "-m", "granian", "--interface", "wsgi", "--port", str(port),
         "--workers", "1", "--no-ws", "serverless_lab.wsgi:application"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/quizzes/", timeout=5).close()
            break
        except OSError:
            assert server.poll() is None and time.monotonic() < deadline, "no web server"
            time.sleep(0.2)
    yield url
    server.terminate()
    server.wait(timeout=30)


def test_a_database_outage_answers_503_with_retry_after_then_pages_work_again(web, manage):
    assert _get(web + "/quizzes/practice/")[0] == 200

    manage.database.outage()
    try:
        status, headers, body = _get(web + "/quizzes/practice/")
        htmx_status, _, fragment = _get(web + "/quizzes/practice/", {"HX-Request": "true"})
    finally:
        manage.database.restore()

    assert status == 503
    assert headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert DATABASE_UNAVAILABLE.replace("'", "&#x27;") in body
    assert f'http-equiv="refresh" content="{RETRY_AFTER_SECONDS}"' in body
    # htmx gets the message alone, to swap where the learner acted.
    assert htmx_status == 503
    assert "<html" not in fragment and 'role="alert"' in fragment
    assert _get(web + "/quizzes/practice/")[0] == 200


def test_on_sqlite_pages_are_not_held_up_by_a_writer_holding_the_database(web, manage):
    """A request is no transaction on SQLite, so a page waits for no other request's write
    lock (with one, it would wait the 20 s busy timeout and answer 503)."""
    if manage.database.kind != "sqlite":
        pytest.skip("SQLite's one write lock; PostgreSQL locks rows")
    writer = sqlite3.connect(manage.database.env["SQLITE_PATH"], isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # what a long request's transaction held, before
    try:
        started = time.monotonic()
        pages = [_get(web + path)[0] for path in ("/quizzes/", "/")]
        waited = time.monotonic() - started
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert pages == [200, 200]
    assert waited < 10


def test_the_500_handler_answers_503_for_a_database_error_met_outside_a_view(rf):
    # What Django calls when middleware (the session saved after the view) raises.
    try:
        raise OperationalError("connection refused")
    except OperationalError:
        response = server_error(rf.get("/quizzes/"))
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)


def test_any_other_server_error_is_still_a_500(rf):
    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(rf.get("/quizzes/"))
    assert response.status_code == 500
