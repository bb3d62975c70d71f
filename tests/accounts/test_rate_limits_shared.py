"""Several server processes share one count: four processes hitting the same window at once
are allowed exactly the rate between them, neither more (a count lost to a race) nor fewer.
On a SQLite file, the class server's default database (PostgreSQL holds the same by its row
lock: an UPDATE keeps it until the transaction that reads the count back commits)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HITS = """
import django
django.setup()
from accounts.ratelimit import rate_hit
print(sum(rate_hit(scope="shared", key="ada", rate="25/h", now=1_800_000_000).allowed
          for _ in range(10)))
"""


def test_four_processes_are_allowed_the_rate_between_them(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"SQLITE_PATH": str(tmp_path / "db.sqlite3"),
            "DJANGO_SETTINGS_MODULE": "serverless_lab.settings.test"}
    migrate = subprocess.run([sys.executable, "manage.py", "migrate", "accounts", "--skip-checks"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert migrate.returncode == 0, migrate.stderr
    workers = [subprocess.Popen([sys.executable, "-c", HITS], cwd=ROOT, env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for _ in range(4)]
    results = [worker.communicate(timeout=120) for worker in workers]
    assert all(w.returncode == 0 for w in workers), [err for _, err in results]
    assert sum(int(out) for out, _ in results) == 25
