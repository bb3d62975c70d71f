"""The database a process uses: PostgreSQL (psycopg 3) when DATABASE_URL names one, else SQLite
tuned for a class of concurrent writers. Read by the settings, so no Django import here."""

from pathlib import Path

import dj_database_url

# On PostgreSQL every request is one transaction: a request that fails part-way (the database
# gone for a moment) leaves nothing half-written. Not on SQLite: there a transaction holds the
# one write lock of the whole database (IMMEDIATE, below) for as long as the request runs, so
# every other request waited behind each page and each run (issue 13: a class of 30 saw page
# p95 of seconds, nearly all of it in BEGIN). Writes that belong together are atomic blocks of
# their own (quizzes' store, rate limits, classrooms' services), whole on either database.

# WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock when a
# transaction begins, so a second writer waits (up to `timeout` seconds) instead of failing
# with "database is locked" when its read lock cannot be upgraded part-way.
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}


def database_from_env(*, url: str, sqlite_path: str | Path) -> dict:
    """Django's DATABASES["default"] for `url` (postgres://..., sqlite:///...) or, when it is
    empty, for the SQLite file at `sqlite_path`."""
    if url:
        database = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    else:
        database = {"ENGINE": "django.db.backends.sqlite3", "NAME": sqlite_path}
    sqlite = database["ENGINE"] == "django.db.backends.sqlite3"
    if sqlite:
        database["OPTIONS"] = {**SQLITE_OPTIONS, **database.get("OPTIONS", {})}
    return {**database, "ATOMIC_REQUESTS": not sqlite}
