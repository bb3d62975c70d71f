"""The database settings: PostgreSQL from DATABASE_URL, else SQLite in WAL mode with immediate
transactions, so a class's concurrent writers wait their turn instead of failing."""

import threading

import pytest
from django.db import connections, transaction

from hosting.databases import database_from_env

WRITES_PER_THREAD = 25
# Work between a transaction's read and its write, long enough (a few ms, the GIL released)
# for the other thread to read too.
SLOW_QUERY = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000) "
              "SELECT count(*) FROM c")


@pytest.mark.parametrize(("url", "engine", "name"), [
    ("postgres://lab:pw@db.example:5433/lab", "django.db.backends.postgresql", "lab"),
    ("sqlite:////srv/lab/db.sqlite3", "django.db.backends.sqlite3", "/srv/lab/db.sqlite3"),
    ("", "django.db.backends.sqlite3", "/tmp/fallback.sqlite3"),
])
def test_the_url_picks_the_database_and_requests_are_atomic_on_postgresql(url, engine, name):
    database = database_from_env(url=url, sqlite_path="/tmp/fallback.sqlite3")
    assert (database["ENGINE"], str(database["NAME"])) == (engine, name)
    # On SQLite a request's transaction would hold the database's one write lock throughout.
    assert database["ATOMIC_REQUESTS"] is (engine == "django.db.backends.postgresql")
    if engine.endswith("sqlite3"):
        assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


@pytest.fixture
def sqlite_file(tmp_path, django_db_blocker):
    """A database alias on a SQLite file with the app's settings, for this test alone."""
    alias = "hosting_sqlite_file"
    configured = connections.configure_settings(
        {"default": {}, alias: database_from_env(url="", sqlite_path=tmp_path / "db.sqlite3")})
    connections.settings[alias] = configured[alias]
    with django_db_blocker.unblock():
        yield alias
        connections[alias].close()
    del connections[alias]  # this thread's wrapper, which holds the file's name
    del connections.settings[alias]


def test_sqlite_runs_in_wal_mode(sqlite_file):
    with connections[sqlite_file].cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"


def test_two_threads_writing_at_once_both_succeed(sqlite_file):
    with connections[sqlite_file].cursor() as cursor:
        cursor.execute("CREATE TABLE tally (n INTEGER NOT NULL UNIQUE)")
    start, errors = threading.Barrier(2), []

    def writer():
        start.wait()
        try:
            for _ in range(WRITES_PER_THREAD):
                # Read, then write what was read: with deferred transactions two writers
                # both read, and the second to write fails ("database is locked").
                with transaction.atomic(using=sqlite_file), \
                        connections[sqlite_file].cursor() as cursor:
                    cursor.execute("SELECT COALESCE(MAX(n), 0) FROM tally")
                    n = cursor.fetchone()[0] + 1
                    cursor.execute(SLOW_QUERY)  # SQLite lets the other thread run meanwhile
                    cursor.execute("INSERT INTO tally VALUES (%s)", [n])
        except Exception as e:  # noqa: BLE001 - reported by the assertion below
            errors.append(e)
        finally:
            connections[sqlite_file].close()

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    with connections[sqlite_file].cursor() as cursor:
        cursor.execute("SELECT n FROM tally ORDER BY n")
        assert [n for (n,) in cursor.fetchall()] == list(range(1, 2 * WRITES_PER_THREAD + 1))
