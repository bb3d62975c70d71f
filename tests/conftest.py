"""Shared fixtures. Browser tests run a real Chromium through Playwright (pytest-playwright)."""

import os
import shutil
import tempfile

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run
# inside one unless told the test thread is safe, which it is (one thread per test).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Secrets the app's process holds; handler code must never see them (tests/cloud/test_containment).
CANARY_SECRETS = {"DJANGO_SECRET_KEY": "canary-django-secret", "DATABASE_URL": "canary-db-url",
                  "AWS_SECRET_ACCESS_KEY": "canary-app-aws-secret"}
os.environ.update(CANARY_SECRETS)
# Patterns imported with `lab import` go to a folder of this run's own.
os.environ.setdefault("LAB_IMPORTS_DIR", tempfile.mkdtemp(prefix="lab-imports-"))
# Asynchronous retries wait 1 and 2 minutes on AWS; tests run lab time 200 times faster.
os.environ.setdefault("LAB_ASYNC_DELAY_SCALE", "0.005")

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def system_chromium() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Prefer the system Chromium (Debian's package); fall back to Playwright's own build.
    args = {**browser_type_launch_args, "args": CHROMIUM_FLAGS}
    if path := system_chromium():
        args["executable_path"] = path
    return args


@pytest.fixture(scope="session")
def lab_cloud(tmp_path_factory):
    """A real lab cloud (moto server, runtime, control API) on a free loopback port, shared by
    the session; tests keep apart by using their own learner (their own AWS account)."""
    from django.conf import settings

    from serverless_lab.cloud.server import LabCloud

    cloud = LabCloud(port=0, data_dir=tmp_path_factory.mktemp("lab")).start()
    previous = settings.LAB_CLOUD_URL
    settings.LAB_CLOUD_URL = cloud.url
    yield cloud
    settings.LAB_CLOUD_URL = previous
    cloud.stop()


@pytest.fixture
def lab(lab_cloud):
    from serverless_lab.cloud.client import LabClient

    return LabClient(lab_cloud.url)


@pytest.fixture
def learner(request):
    """A learner (so an AWS account) of this test's own."""
    import re

    return "t-" + re.sub(r"[^A-Za-z0-9]", "-", request.node.name)[-50:]


def wait_quiet(lab, learner, timeout: float = 15.0) -> None:
    """Until nothing is in flight in the learner's account (asynchronous work done)."""
    import time

    deadline = time.monotonic() + timeout
    while not lab.trace(learner, since=2**62)["quiet"]:
        assert time.monotonic() < deadline, "the sandbox did not quiet down"
        time.sleep(0.02)


def wait_until(condition, timeout: float = 20.0, interval: float = 0.05) -> None:
    """Until condition() is true; fails the test after `timeout` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(interval)
