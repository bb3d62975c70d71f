"""A database and processes of the test's own: `manage.py` subprocesses (serve, db_worker,
shell) against a scratch database of the kind the suite runs on (a SQLite file, or a new
database in the PostgreSQL cluster of scripts/with-postgres.sh)."""

import os
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings

from tests.conftest import free_port, free_ports  # noqa: F401 (the hosting tests' ports)

ROOT = Path(__file__).resolve().parents[2]




@dataclass
class ScratchDatabase:
    """What a subprocess needs to use the database (`env`), and a way to make it unreachable
    for a moment, as a database server that goes away would be."""

    env: dict
    kind: str
    _outage: callable = field(repr=False, default=None)
    _restore: callable = field(repr=False, default=None)

    def outage(self) -> None:
        self._outage()

    def restore(self) -> None:
        self._restore()


def _base_env(tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "SQLITE_PATH", "DJANGO_SETTINGS_MODULE",
                        "DJANGO_SECRET_KEY")}
    return {**env, "LAB_DATA_DIR": str(tmp_path / "data"), "STATIC_ROOT": str(tmp_path / "static"),
            "DJANGO_SETTINGS_MODULE": "serverless_lab.settings.prod", "SECURE_COOKIES": "0",
            "PYTHONPATH": str(Path(__file__).parent), "PYTHONUNBUFFERED": "1"}


def _sqlite_database(tmp_path: Path) -> ScratchDatabase:
    folder, away = tmp_path / "db", tmp_path / "db-away"
    folder.mkdir()
    # Moving the folder away makes the file impossible to open (root ignores permissions).
    return ScratchDatabase(env={"SQLITE_PATH": str(folder / "db.sqlite3")}, kind="sqlite",
                           _outage=lambda: folder.rename(away),
                           _restore=lambda: away.rename(folder))


def _postgres_database(url: str):
    import psycopg

    name = f"hosting_{uuid.uuid4().hex[:12]}"
    parsed = urlparse(url)
    admin = psycopg.connect(_conninfo(url), autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')

    def outage():  # refuse new connections and end the ones open
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = %s", [name])

    database = ScratchDatabase(
        env={"DATABASE_URL": parsed._replace(path=f"/{name}").geturl()}, kind="postgresql",
        _outage=outage,
        _restore=lambda: admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
    yield database
    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def _conninfo(url: str) -> str:
    import dj_database_url

    d = dj_database_url.parse(url)
    return f"host={d['HOST']} port={d['PORT'] or 5432} user={d['USER']} dbname={d['NAME']}"


@pytest.fixture
def scratch_database(tmp_path):
    if settings.DATABASE_URL.startswith(("postgres://", "postgresql://")):
        yield from _postgres_database(settings.DATABASE_URL)
    else:
        yield _sqlite_database(tmp_path)


@pytest.fixture
def manage(tmp_path, scratch_database):
    """Run `manage.py ARGS` against the scratch database; returns the CompletedProcess."""
    env = {**_base_env(tmp_path), **scratch_database.env}

    def run(*args, timeout: float = 180) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=timeout)
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    run.env = env
    run.database = scratch_database
    yield run
    shutil.rmtree(tmp_path / "static", ignore_errors=True)
