"""Recursive loop detection, as Lambda does it: a chain of invocations that keeps triggering
itself (a function publishing to the topic that invokes it, writing to the bucket that
triggers it) is stopped after about 16 invocations, and the event goes to the function's
dead-letter queue or on-failure destination.

AWS follows the chain through tracing headers; the lab follows it through the handler's own
API calls: a call made by a function running at depth d triggers work at depth d + 1. The lab
follows S3, SNS, EventBridge and Lambda's asynchronous queue; an SQS hop starts a new chain.
"""

import threading
from contextlib import contextmanager

MAX_CHAIN = 16  # [[lambda.recursion_stop_after]]
STOPPED = ("Lambda detected a recursive loop after {n} invocations and stopped it; the "
           "event went to the dead-letter queue or on-failure destination, if one is set.")
_local = threading.local()


def current_depth() -> int:
    """The chain depth of the handler whose API call this thread is serving (0: none)."""
    return getattr(_local, "depth", 0)


@contextmanager
def calling_from(depth: int):
    previous = current_depth()
    _local.depth = depth
    try:
        yield
    finally:
        _local.depth = previous


class Chains:
    """Which functions are running, at what depth (the deepest, if several at once)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[tuple[str, str], list[int]] = {}

    @contextmanager
    def running(self, account_id: str, function_name: str, depth: int):
        key = (account_id, function_name)
        with self._lock:
            self._running.setdefault(key, []).append(depth)
        try:
            yield
        finally:
            with self._lock:
                self._running[key].remove(depth)

    def depth_of(self, account_id: str, function_name: str) -> int:
        with self._lock:
            return max(self._running.get((account_id, function_name)) or [0])
