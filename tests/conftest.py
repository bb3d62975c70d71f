"""Shared fixtures. Browser tests run a real Chromium through Playwright (pytest-playwright)."""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run
# inside one unless told the test thread is safe, which it is (one thread per test).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Secrets the app's process holds; handler code must never see them (tests/cloud/test_containment).
# DATABASE_URL is shaped as a URL (the settings parse it in subprocesses such as `lab bench`)
# and names no reachable host; the settings of this process were read before it was set.
CANARY_SECRETS = {"DJANGO_SECRET_KEY": "canary-django-secret",
                  "DATABASE_URL": "postgres://canary:canary-db-url@canary.invalid/canary",
                  "AWS_SECRET_ACCESS_KEY": "canary-app-aws-secret"}


def pytest_configure(config):
    # With pytest-xdist (`-n`), the process that hands out tests runs none: its workers, which
    # inherit its environment and read their settings at start, set the canaries themselves.
    if config.getoption("numprocesses", None) and not hasattr(config, "workerinput"):
        return
    os.environ.update(CANARY_SECRETS)
    # Patterns imported with `lab import` go to a folder of this process's own (a worker's
    # imports and clean-ups must not show in the other's catalog).
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


def free_ports(count: int = 1) -> list[int]:
    """`count` consecutive ports free on 127.0.0.1 now, for a server a test starts (a lab with
    shards listens on port + i). Chosen below the kernel's ephemeral range, where the other
    test worker's outgoing connections take their local ports, so none takes them meanwhile."""
    import random
    import socket

    ephemeral_low = 32768
    if (ranges := Path("/proc/sys/net/ipv4/ip_local_port_range")).exists():
        ephemeral_low = int(ranges.read_text().split()[0])
    for _ in range(500):
        first = random.randrange(20000, ephemeral_low - count)
        sockets = []
        try:
            for port in range(first, first + count):
                sockets.append(socket.socket())
                sockets[-1].bind(("127.0.0.1", port))
            return list(range(first, first + count))
        except OSError:
            continue
        finally:
            for opened in sockets:
                opened.close()
    raise RuntimeError(f"no {count} consecutive free ports below {ephemeral_low}")


def free_port() -> int:
    return free_ports(1)[0]


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
    previous = settings.LAB_CLOUD_URL, settings.LAB_CONTROL_TOKEN
    settings.LAB_CLOUD_URL, settings.LAB_CONTROL_TOKEN = cloud.url, cloud.control_token
    yield cloud
    settings.LAB_CLOUD_URL, settings.LAB_CONTROL_TOKEN = previous
    cloud.stop()


@pytest.fixture(scope="session")
def lab(lab_cloud):
    """The lab's control API client (stateless, so one for the session: module-scoped
    fixtures that deploy once per module use it too)."""
    from serverless_lab.cloud.client import LabClient

    return LabClient(lab_cloud.url, token=lab_cloud.control_token)


@pytest.fixture
def learner(request):
    """A learner (so an AWS account) of this test's own."""
    import re

    return "t-" + re.sub(r"[^A-Za-z0-9]", "-", request.node.name)[-50:]


def wait_quiet(lab, learner, timeout: float = 30.0) -> None:
    """Until nothing is in flight in the learner's account (asynchronous work done); the
    timeout only bounds a hang (a busy machine must not fail a right product)."""
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


def trace_mark(lab, learner) -> int:
    """The trace's newest sequence number now: count a test's events from it."""
    return lab.trace(learner, since=2**62)["last_seq"]


def events_since(lab, learner, mark: int, kind: str | None = None, **fields) -> list[dict]:
    """The learner's trace events after `mark`, of type `kind` and with `fields`, if given."""
    return [e for e in lab.trace(learner, since=mark)["events"]
            if (kind is None or e["type"] == kind)
            and all(e.get(name) == value for name, value in fields.items())]


def learner_session(lab, learner):
    """(a boto3 session with the learner's own credentials (STS, their account), what the
    lab says of their sandbox: endpoint_url, account_id, region...)."""
    import boto3

    found = lab.sandbox(learner)
    credentials = found["credentials"]
    session = boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                            aws_secret_access_key=credentials["SecretAccessKey"],
                            aws_session_token=credentials["SessionToken"],
                            region_name=found["region"])
    return session, found


def learner_client(lab, learner, service: str, **client_options):
    """A boto3 client for `service` with the learner's own credentials, as their code or CLI
    would have it; `client_options` go to boto3 (another endpoint_url, a botocore Config)."""
    session, found = learner_session(lab, learner)
    return session.client(service, **{"endpoint_url": found["endpoint_url"], **client_options})


# -- a class, its instructor and students (tests/classrooms, tests/live, tests/lms) ------------

@pytest.fixture
def make_user(db):
    from django.contrib.auth import get_user_model

    def make(username, **fields):
        return get_user_model().objects.create_user(
            username=username, password="pw-" + username,
            email=fields.pop("email", f"{username}@example.edu"), **fields)
    return make


@pytest.fixture
def instructor(make_user):
    from classrooms.services import instructor_grant

    make_user("ines")
    return instructor_grant(username="ines")


@pytest.fixture
def classroom(instructor):
    from classrooms.services import classroom_create

    return classroom_create(name="Serverless 101", instructor=instructor)


@pytest.fixture
def student(make_user, classroom):
    from classrooms.services import classroom_join

    user = make_user("sam")
    classroom_join(user=user, code=classroom.join_code)
    return user


@pytest.fixture
def other_student(make_user, classroom):
    from classrooms.services import classroom_join

    user = make_user("olga")
    classroom_join(user=user, code=classroom.join_code)
    return user


@pytest.fixture
def other_instructor(make_user):
    """An instructor with a class of their own."""
    from classrooms.services import classroom_create, instructor_grant

    make_user("otto")
    user = instructor_grant(username="otto")
    classroom_create(name="Otto's class", instructor=user)
    return user
