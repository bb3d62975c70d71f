"""Handlers that misbehave, to prove the runtime contains them."""

import os


def exit_now(event, context):
    os._exit(3)


def spin(event, context):
    while True:
        pass


def print_environment(event, context):
    return dict(os.environ)


def big_file(event, context):
    with open("/tmp/lab-big-file", "wb") as f:
        f.write(b"x" * (600 * 1024 * 1024))
    return "written"
