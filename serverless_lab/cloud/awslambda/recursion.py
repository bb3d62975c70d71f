"""Recursive loop detection, as Lambda does it: a chain of invocations that keeps triggering
itself (a function publishing to the topic that invokes it, writing to the bucket that
triggers it, sending to the queue it consumes) is stopped after about 16 invocations.

AWS follows the chain through the X-Ray trace header: each invocation runs with
`_X_AMZN_TRACE_ID` (Root, Parent, Sampled and a `Lineage` that counts the chain), the AWS SDK
sends it on as `X-Amzn-Trace-Id`, and SQS keeps it on the message as its `AWSTraceHeader`
system attribute. The lab does the same: a call made by a function running at depth d
triggers work at depth d + 1 (S3, SNS, EventBridge and Lambda's asynchronous queue), and a
message it sends to SQS carries d in its AWSTraceHeader, which the queue's event source
mapping reads. A stopped asynchronous event goes to the function's dead-letter queue or
on-failure destination; a stopped SQS message to its queue's dead-letter queue, if the
queue has one (otherwise it is dropped).
"""

import inspect
import os
import re
import threading
import time
import zlib
from contextlib import contextmanager
from urllib.parse import unquote

from moto.sqs.models import SQSBackend

MAX_CHAIN = 16  # [[lambda.recursion_stop_after]]
STOPPED = ("Lambda detected a recursive loop after {n} invocations and stopped it; the "
           "event went to the dead-letter queue or on-failure destination, if one is set.")
STOPPED_SQS = ("Lambda detected a recursive loop after {n} invocations and stopped it; the "
               "message went to the queue's dead-letter queue, if it has one, or was dropped.")
TRACE_HEADER = "HTTP_X_AMZN_TRACE_ID"  # the WSGI name of X-Amzn-Trace-Id
LINEAGE = re.compile(r"Lineage=([^;]*)")
_local = threading.local()


def current_depth() -> int:
    """The chain depth of the handler whose API call this thread is serving (0: none)."""
    return getattr(_local, "depth", 0)


@contextmanager
def calling_from(depth: int, trace_header: str | None = None):
    """This thread serves an API call of a handler at `depth`, sent with `trace_header`."""
    previous = current_depth(), getattr(_local, "trace_header", None)
    _local.depth, _local.trace_header = depth, trace_header
    try:
        yield
    finally:
        _local.depth, _local.trace_header = previous


def trace_header(depth: int, function_name: str) -> str:
    """The trace header (_X_AMZN_TRACE_ID) of an invocation at `depth` of a chain."""
    ids = os.urandom(20).hex()
    return (f"Root=1-{int(time.time()):08x}-{ids[:24]};Parent={ids[24:]};Sampled=0;"
            f"Lineage={zlib.crc32(function_name.encode()):08x}:{depth}")


def lineage_depth(header: str | None) -> int:
    """The chain depth a trace header carries (0 when it has no Lineage)."""
    found = LINEAGE.search(unquote(header)) if header else None
    if not found:
        return 0
    counts = [part.rsplit(":", 1)[-1] for part in found[1].split("|")]
    return max((int(c) for c in counts if c.isdigit()), default=0)


def message_depth(message) -> int:
    """The chain depth of the handler that sent an SQS message (0: sent from outside)."""
    header = (message.system_attributes or {}).get("AWSTraceHeader") or {}
    return lineage_depth(header.get("StringValue"))


def sqs_messages_stop(queue, messages: list) -> str | None:
    """Take stopped messages off their queue: to its dead-letter queue if it has one (whose
    name is returned), else dropped."""
    ids = {m.id for m in messages}
    with queue._messages_lock:
        originals = [m for m in queue._messages if m.id in ids]
        queue._messages = [m for m in queue._messages if m.id not in ids]
        for message in originals:
            queue.pending_messages.discard(message)
    if queue.dead_letter_queue is None:
        return None
    for message in originals:
        message.change_visibility(0)  # it was in flight; in the dead-letter queue it is not
        queue.dead_letter_queue.add_message(message)
    return queue.dead_letter_queue.name


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


# -- SQS keeps the sender's trace header ----------------------------------------------------
ORIGINAL_SEND = SQSBackend.send_message
EXPECTED_SEND_SIGNATURE = (
    "(self, queue_name: str, message_body: str, message_attributes: dict[str, typing.Any] | "
    "None = None, delay_seconds: int | None = None, deduplication_id: str | None = None, "
    "group_id: str | None = None, system_attributes: dict[str, typing.Any] | None = None, "
    "validate_group_id: bool = True) -> moto.sqs.models.Message")


def _send_message(self, queue_name, message_body, *args, **kwargs):
    depth = current_depth()
    attributes = kwargs.get("system_attributes") or {}
    if depth and len(args) < 5 and not attributes.get("AWSTraceHeader"):
        header = unquote(getattr(_local, "trace_header", None) or "")
        if not lineage_depth(header):
            header = trace_header(depth, "lab")
        kwargs["system_attributes"] = {
            **attributes, "AWSTraceHeader": {"DataType": "String", "StringValue": header}}
    return ORIGINAL_SEND(self, queue_name, message_body, *args, **kwargs)


def install() -> None:
    """Messages sent to SQS while a handler's call is served (SendMessage, SendMessageBatch,
    an SNS delivery to a queue) keep its trace header as AWSTraceHeader, as SQS does. moto's
    SendMessageBatch drops system attributes, so this wraps the backend, not the API."""
    SQSBackend.send_message = _send_message


def send_signature_matches() -> bool:
    return str(inspect.signature(ORIGINAL_SEND)) == EXPECTED_SEND_SIGNATURE
