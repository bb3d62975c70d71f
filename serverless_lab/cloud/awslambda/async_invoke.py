"""Lambda's asynchronous invocation: the internal queue behind InvocationType=Event (and behind
S3, SNS and EventBridge deliveries on AWS).

The caller gets 202 at once; the event waits in a queue, runs, and on a function error is retried
up to MaximumRetryAttempts times (default 2), the first retry after 1 minute and the second
after 2 more, as AWS documents. A learner should not wait minutes, so lab time runs faster:
delays are multiplied by `delay_scale` (default 1/60: a minute becomes a second), and the trace
states both. When retries run out (or the event is older than MaximumEventAgeInSeconds) the
event goes to the function's on-failure destination (SQS, SNS, Lambda or EventBridge) with
AWS's invocation record, or else to its dead-letter queue.
"""

import heapq
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from serverless_lab.cloud import trace

from . import recursion
from .runtime.functions import Throttled

RETRY_DELAYS_SECONDS = (60, 120)  # before the first and the second retry
DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_EVENT_AGE_SECONDS = 21600
THROTTLE_BACKOFF_SECONDS = 1.0


@dataclass(order=True)
class QueuedEvent:
    due: float
    order: int
    fn: object = field(compare=False)  # moto's LambdaFunction
    document: str = field(compare=False)
    request_id: str = field(compare=False)
    enqueued_at: float = field(compare=False)
    attempt: int = field(default=1, compare=False)
    depth: int = field(default=1, compare=False)  # its place in a chain of invocations
    qualified_arn: str | None = field(default=None, compare=False)  # version or alias invoked


def invoke_config(fn) -> dict:
    """The function's EventInvokeConfig (retries, age, destinations), or AWS's defaults."""
    configs = getattr(fn, "event_invoke_config", []) or []
    return configs[0].config if configs else {}


def invocation_record(queued: QueuedEvent, invocation, condition: str) -> dict:
    """The document AWS sends to an asynchronous invocation's destination."""
    fn = queued.fn
    payload = invocation.error if invocation.error is not None else json.loads(
        invocation.payload or "null")
    return {
        "version": "1.0",
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "requestContext": {"requestId": queued.request_id,
                           "functionArn": queued.qualified_arn or f"{fn.function_arn}:$LATEST",
                           "condition": condition, "approximateInvokeCount": queued.attempt},
        "requestPayload": json.loads(queued.document),
        "responseContext": {"statusCode": 200, "executedVersion": str(fn.version),
                            **({"functionError": "Unhandled"} if invocation.error else {})},
        "responsePayload": payload,
    }


class AsyncInvoker:
    def __init__(self, *, invoke, deliver, recorder: trace.Recorder, dead_letter_target,
                 delay_scale: float = 1 / 60, workers: int = 4):
        self.invoke = invoke  # (fn, document, depth=, qualified_arn=) -> Invocation
        self.deliver = deliver  # (account, region, target_arn, document, attributes) -> None
        self.dead_letter_target = dead_letter_target  # fn -> ARN or None
        self.recorder = recorder
        self.delay_scale = delay_scale
        self._queue: list[QueuedEvent] = []
        self._order = itertools.count()
        self._changed = threading.Condition()
        self._stopped = False
        for n in range(workers):
            threading.Thread(target=self._work, name=f"lambda-async-{n}", daemon=True).start()

    def submit(self, fn, document: str, *, depth: int = 1,
               qualified_arn: str | None = None) -> str:
        """Queue an event for fn; returns the request id the caller is told (202).
        `qualified_arn` is the version or alias it was invoked through: that version runs it,
        on its provisioned environments first."""
        request_id = str(uuid.uuid4())
        self.recorder.begin(fn.account_id)
        now = time.monotonic()
        self._push(QueuedEvent(now, next(self._order), fn, document, request_id, now,
                               depth=depth, qualified_arn=qualified_arn))
        return request_id

    def _push(self, queued: QueuedEvent) -> None:
        with self._changed:
            heapq.heappush(self._queue, queued)
            self._changed.notify()

    def _next(self) -> QueuedEvent | None:
        with self._changed:
            while not self._stopped:
                if self._queue and self._queue[0].due <= time.monotonic():
                    return heapq.heappop(self._queue)
                timeout = self._queue[0].due - time.monotonic() if self._queue else None
                self._changed.wait(timeout)
            return None

    def _work(self) -> None:
        while (queued := self._next()) is not None:
            try:
                self._attempt(queued)
            except Exception:  # noqa: BLE001 - one bad event must not stop the queue
                self.recorder.end(queued.fn.account_id)

    def _attempt(self, queued: QueuedEvent) -> None:
        fn, config = queued.fn, invoke_config(queued.fn)
        if queued.depth > recursion.MAX_CHAIN:
            self._stop_recursion(queued, config)
            return
        try:
            invocation = self.invoke(fn, queued.document, depth=queued.depth,
                                     qualified_arn=queued.qualified_arn)
        except Throttled as throttled:
            # Throttled events go back to the queue without using up a retry (AWS keeps
            # trying, with backoff, until the event's maximum age).
            self.recorder.record(fn.account_id, trace.DELIVERY, source="lambda:async-queue",
                                 target=fn.function_name, mode="async", throttled=True,
                                 reason=throttled.reason, request_id=queued.request_id)
            queued.due = time.monotonic() + THROTTLE_BACKOFF_SECONDS
            queued.order = next(self._order)
            self._push(queued)
            return
        if invocation.error is None:
            self._destination(queued, invocation, config.get("DestinationConfig", {})
                              .get("OnSuccess", {}), "Success")
            self.recorder.end(fn.account_id)
            return
        max_retries = config.get("MaximumRetryAttempts", DEFAULT_MAX_RETRIES)
        max_age = config.get("MaximumEventAgeInSeconds", DEFAULT_MAX_EVENT_AGE_SECONDS)
        if queued.attempt <= max_retries:
            delay = RETRY_DELAYS_SECONDS[min(queued.attempt - 1, len(RETRY_DELAYS_SECONDS) - 1)]
            lab_delay = delay * self.delay_scale
            age = time.monotonic() - queued.enqueued_at + lab_delay
            if age / self.delay_scale <= max_age:
                self.recorder.record(fn.account_id, trace.DELIVERY, source="lambda:async-retry",
                                     target=fn.function_name, mode="async",
                                     attempt=queued.attempt + 1, retry_after_s=delay,
                                     lab_retry_after_s=round(lab_delay, 3),
                                     request_id=queued.request_id)
                queued.attempt += 1
                queued.due = time.monotonic() + lab_delay
                queued.order = next(self._order)
                self._push(queued)
                return
        condition = "RetriesExhausted" if queued.attempt > max_retries else "EventAgeExceeded"
        on_failure = config.get("DestinationConfig", {}).get("OnFailure", {})
        if on_failure.get("Destination"):
            self._destination(queued, invocation, on_failure, condition)
        elif target := self.dead_letter_target(fn):
            error = invocation.error or {}
            self.deliver(fn.account_id, fn.region, target, queued.document, {
                "RequestID": queued.request_id, "ErrorCode": "200",
                "ErrorMessage": str(error.get("errorMessage", ""))[:1000]})
            self.recorder.record(fn.account_id, trace.DELIVERY, source=fn.function_name,
                                 target=target, mode="dead-letter", condition=condition,
                                 event=json.loads(queued.document))
        self.recorder.end(fn.account_id)

    def _stop_recursion(self, queued: QueuedEvent, config: dict) -> None:
        fn = queued.fn
        self.recorder.record(fn.account_id, trace.DELIVERY, source="lambda:recursion-detection",
                             target=fn.function_name, mode="async", recursion_stopped=True,
                             message=recursion.STOPPED.format(n=recursion.MAX_CHAIN),
                             event=json.loads(queued.document))
        on_failure = config.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
        target = on_failure or self.dead_letter_target(fn)
        if target:
            self.deliver(fn.account_id, fn.region, target, queued.document, None)
        self.recorder.end(fn.account_id)

    def _destination(self, queued, invocation, destination: dict, condition: str) -> None:
        target = destination.get("Destination")
        if not target:
            return
        record = invocation_record(queued, invocation, condition)
        self.deliver(queued.fn.account_id, queued.fn.region, target, json.dumps(record), None)
        self.recorder.record(queued.fn.account_id, trace.DELIVERY, source=queued.fn.function_name,
                             target=target, mode="destination", condition=condition,
                             event=record)

    def stop(self) -> None:
        with self._changed:
            self._stopped = True
            self._changed.notify_all()
