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
    chunk = b"x" * (1024 * 1024)
    with open("/tmp/lab-big-file", "wb") as f:
        for _ in range(600):  # 600 MB, past the 512 MB that /tmp allows by default
            f.write(chunk)
    return "written"


def memory_bomb(event, context):
    hoard = []
    while True:
        hoard.append(bytearray(16 * 1024 * 1024))
