"""Shared fixtures. Browser tests run a real Chromium through Playwright (pytest-playwright)."""

import os
import shutil

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run
# inside one unless told the test thread is safe, which it is (one thread per test).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

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
