"""A task for the worker tests, importable by the subprocesses (tests/hosting on PYTHONPATH)."""

import os

from django.tasks import task


@task
def echo(*, text: str) -> dict:
    return {"echo": text, "worker_pid": os.getpid()}
