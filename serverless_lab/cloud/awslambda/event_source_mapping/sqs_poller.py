"""SQS event source mappings as the Lambda service runs them: one poller per enabled mapping.

The poller receives messages with the queue's visibility timeout (they stay in the queue,
invisible, while the function runs), gathers up to BatchSize of them or until
MaximumBatchingWindowInSeconds has passed since the first, invokes the function
synchronously with one event for the batch, and then deletes what succeeded: the whole batch,
or with `ReportBatchItemFailures` every message the function did not list in
`batchItemFailures`. Failed messages become visible again when their visibility timeout runs
out, and the queue's redrive policy moves a message to its dead-letter queue once it has been
received maxReceiveCount times (moto's ReceiveMessage applies the policy, as SQS does).
Messages that match none of the mapping's filters are deleted without an invocation.

A poller sleeps on an event that is set when its queue gets a message, and otherwise only
wakes for the next timer that matters (a message's visibility timeout or delay running out,
the batching window closing), so idle mappings cost nothing. Each mapping has its own
thread: a consumer that keeps failing never holds up another mapping or another account.
The lab runs one batch at a time per mapping (AWS starts with several concurrent batches and
scales), which keeps FIFO order simple: messages of a group are never in two batches at once.
"""

import json
import logging
import threading
import time
from dataclasses import dataclass, field

from moto.awslambda.models import lambda_backends
from moto.sqs.models import sqs_backends

from serverless_lab.cloud import trace
from serverless_lab.cloud.awslambda import recursion
from serverless_lab.cloud.awslambda.invoke_api import mapping_function

from . import filters as event_filters
from .sqs_events import REPORT_BATCH_ITEM_FAILURES, failed_message_ids, sqs_record

logger = logging.getLogger(__name__)

IDLE_RECHECK_SECONDS = 5.0  # also notices what no hook announces (an account reset)
ERROR_BACKOFF_SECONDS = 1.0
PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024  # a synchronous invocation's payload, 6 MB
RECORD_OVERHEAD_BYTES = 2048


def _existing(backends, account_id: str, region: str):
    """moto's backend for (account, region) if it exists; never creates one (BackendDict
    does on plain indexing, which would bring back an account the lab just reset)."""
    regions = dict.get(backends, account_id)
    return dict.get(regions, region) if regions is not None else None


def is_sqs_mapping(esm) -> bool:
    return esm.event_source_arn.split(":")[2] == "sqs"


def queue_name(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]


# -- pollers --------------------------------------------------------------------------------
@dataclass(eq=False)
class Poller:
    """Polls one mapping's queue on its own thread until the mapping is disabled or gone."""

    mappings: "SqsMappings"
    account_id: str
    region: str
    uuid: str
    queue_arn: str
    wake: threading.Event = field(default_factory=threading.Event)
    stopped: bool = False
    holding: bool = False  # has received messages it has not finished with

    def start(self) -> None:
        threading.Thread(target=self._run, name=f"sqs-poller-{self.uuid[:8]}",
                         daemon=True).start()

    def stop(self) -> None:
        self.stopped = True
        self.wake.set()

    def live(self):
        """(mapping, queue) as moto has them now; (None, None) once the mapping is gone or
        disabled, (mapping, None) while its queue does not exist."""
        functions = _existing(lambda_backends, self.account_id, self.region)
        esm = functions.get_event_source_mapping(self.uuid) if functions else None
        if esm is None or not _enabled(esm) or esm.event_source_arn != self.queue_arn:
            return None, None
        queues = _existing(sqs_backends, self.account_id, self.region)
        queue = queues.queues.get(queue_name(self.queue_arn)) if queues else None
        return esm, queue

    def busy(self) -> bool:
        if self.holding:
            return True
        esm, queue = self.live()
        return bool(esm and queue and queue._messages)

    def _run(self) -> None:
        while not self.stopped:
            try:
                esm, queue = self.live()
                if esm is None:
                    break
                if queue is None:
                    self.wake.wait(IDLE_RECHECK_SECONDS)
                    self.wake.clear()
                    continue
                batch = self._gather(esm, queue)
                if batch and not self.stopped:
                    self._deliver(esm, queue, batch)
            except Exception:  # noqa: BLE001 - a poller must outlive any one bad batch
                logger.exception("SQS poller %s failed a round", self.uuid)
                time.sleep(ERROR_BACKOFF_SECONDS)
            finally:
                self.holding = False
        self.mappings.forget(self)

    def _gather(self, esm, queue) -> list:
        """Receive until the batch is full, the window has closed or the payload is full."""
        batch, size, closes = [], 0, None
        window = 0 if queue.fifo_queue else int(esm.max_batch_window or 0)  # FIFO has none
        patterns = event_filters.patterns_parse(esm.filter_criteria)
        while not self.stopped:
            self.wake.clear()  # before receiving, so a message sent meanwhile wakes the wait
            for message in self._receive(queue, esm.batch_size - len(batch)):
                record = sqs_record(message, queue)
                if not event_filters.sqs_record_matches(record, patterns):
                    self._delete(queue, [message])
                    self.mappings.recorder.record(
                        self.account_id, trace.DELIVERY, source="aws:sqs",
                        target=esm.function_arn.split(":")[6], mode="filtered",
                        batch_size=0, queue=queue.queue_arn, filtered_out=[message.id],
                        event=record)
                    continue
                self.holding = True
                batch.append(message)
                size += len(json.dumps(record)) + RECORD_OVERHEAD_BYTES
            now = time.monotonic()
            if batch and closes is None:
                closes = now + window
            full = (len(batch) >= esm.batch_size
                    or size + queue.maximum_message_size >= PAYLOAD_LIMIT_BYTES)
            if batch and (full or now >= closes):
                return batch
            waits = [IDLE_RECHECK_SECONDS, _next_change(queue) - time.time()]
            if closes is not None:
                waits.append(closes - now)
            self.wake.wait(max(0.0, min(waits)))
            if self.live()[0] is not esm:
                return []
        return []

    def _receive(self, queue, count: int) -> list:
        backend = sqs_backends[self.account_id][self.region]
        # moto keeps a message "pending" until a receive walks past it, even once its
        # visibility timeout has run out; for FIFO that can let a later message of the
        # group overtake the earlier one, so clear the stale entries first.
        for message in list(queue.pending_messages):
            if message.visible:
                queue.pending_messages.discard(message)
        doomed = _over_max_receives(queue)
        received = backend.receive_message(queue.name, count, 0, queue.visibility_timeout,
                                           ["All"])
        if doomed and queue.dead_letter_queue is not None:
            moved = [i for i in doomed if any(m.id == i for m in queue.dead_letter_queue._messages)]
            if moved:
                self.mappings.recorder.record(
                    self.account_id, trace.DELIVERY, source="aws:sqs",
                    target=queue.dead_letter_queue.name, mode="redrive", batch_size=len(moved),
                    queue=queue.queue_arn, message_ids=moved,
                    max_receive_count=queue.redrive_policy["maxReceiveCount"])
        return received

    def _deliver(self, esm, queue, batch: list) -> None:
        functions = lambda_backends[self.account_id][self.region]
        fn, through = mapping_function(functions, esm)  # an alias's current version
        # Messages a handler sent carry its place in a chain (AWSTraceHeader): past the
        # limit, Lambda stops the loop instead of invoking again.
        looping = [m for m in batch if recursion.message_depth(m) >= recursion.MAX_CHAIN]
        if looping:
            dead_letter_queue = recursion.sqs_messages_stop(queue, looping)
            self.mappings.recorder.record(
                self.account_id, trace.DELIVERY, source="lambda:recursion-detection",
                target=fn.function_name, mode="poll", recursion_stopped=True,
                message=recursion.STOPPED_SQS.format(n=recursion.MAX_CHAIN),
                queue=queue.queue_arn, dead_letter_queue=dead_letter_queue,
                message_ids=[m.id for m in looping],
                event={"Records": [sqs_record(m, queue) for m in looping]})
            batch = [m for m in batch if m not in looping]
            if not batch:
                return
        depth = max(recursion.message_depth(m) for m in batch) + 1
        event = {"Records": [sqs_record(m, queue) for m in batch]}
        delivery = self.mappings.recorder.record(
            self.account_id, trace.DELIVERY, source="aws:sqs", target=fn.function_name,
            mode="poll", batch_size=len(batch), event=event, queue=queue.queue_arn,
            mapping=esm.uuid)
        ids = [m.id for m in batch]
        try:
            invocation = self.mappings.invoke(fn, json.dumps(event), depth=depth,
                                              qualified_arn=through)
        except Exception as e:  # noqa: BLE001 - a throttle: the batch returns after the timeout
            delivery.update(outcome="failure", failed=ids, error=type(e).__name__)
            return
        if invocation.error is not None:
            failed = set(ids)
        elif REPORT_BATCH_ITEM_FAILURES in (esm.function_response_types or []):
            failed = failed_message_ids(invocation.payload, ids)
        else:
            failed = set()
        self._delete(queue, [m for m in batch if m.id not in failed])
        delivery.update(outcome="success" if not failed else
                        "failure" if len(failed) == len(ids) else "partial",
                        failed=[i for i in ids if i in failed])

    def _delete(self, queue, messages: list) -> None:
        backend = sqs_backends[self.account_id][self.region]
        # moto rebuilds the message list on delete; holding the queue's lock keeps a
        # concurrent SendMessage (which appends under it) from being lost.
        with queue._messages_lock:
            for message in messages:
                try:
                    backend.delete_message(queue.name, message.receipt_handle)
                except Exception:  # noqa: BLE001 - already deleted or the queue purged
                    pass


def _enabled(esm) -> bool:
    return str(esm.enabled).lower() != "false"


def _over_max_receives(queue) -> list[str]:
    policy = queue.redrive_policy
    if not policy or queue.dead_letter_queue is None:
        return []
    return [m.id for m in queue.messages
            if m.approximate_receive_count >= policy["maxReceiveCount"]]


def _next_change(queue) -> float:
    """Epoch seconds at which an invisible or delayed message of the queue becomes visible."""
    now_ms = time.time() * 1000
    times = [t for m in list(queue._messages)
             for t in (m.visible_at, m.delayed_until) if t > now_ms]
    return min(times) / 1000 + 0.01 if times else time.time() + IDLE_RECHECK_SECONDS


class SqsMappings:
    """Every SQS mapping's poller in the lab cloud, started and stopped with the mappings."""

    def __init__(self, *, invoke, recorder: trace.Recorder):
        self.invoke = invoke  # (moto LambdaFunction, event JSON) -> Invocation
        self.recorder = recorder
        self._lock = threading.Lock()
        self._pollers: dict[str, Poller] = {}  # mapping uuid -> poller
        self._by_queue: dict[str, set[Poller]] = {}
        self._by_account: dict[str, set[Poller]] = {}
        recorder.add_busy_check(self.busy)

    def mapping_changed(self, esm) -> None:
        """Created, updated, enabled or disabled: start or stop its poller to match."""
        if not is_sqs_mapping(esm):
            return
        with self._lock:
            poller = self._pollers.get(esm.uuid)
            if poller and (not _enabled(esm) or poller.queue_arn != esm.event_source_arn):
                self._drop(poller)
                poller = None
            if poller is None and _enabled(esm):
                poller = Poller(self, esm.account_id, esm.region, esm.uuid, esm.event_source_arn)
                self._pollers[esm.uuid] = poller
                self._by_queue.setdefault(poller.queue_arn, set()).add(poller)
                self._by_account.setdefault(poller.account_id, set()).add(poller)
                poller.start()
            elif poller:
                poller.wake.set()  # BatchSize, window or filters changed: re-read them

    def mapping_deleted(self, uuid: str) -> None:
        with self._lock:
            poller = self._pollers.get(uuid)
            if poller:
                self._drop(poller)

    def message_added(self, queue_arn: str) -> None:
        with self._lock:
            pollers = list(self._by_queue.get(queue_arn, ()))
        for poller in pollers:
            poller.wake.set()

    def busy(self, account_id: str) -> bool:
        """A mapped queue of the account still has messages (visible, delayed or in flight)
        or a poller is working on a batch: the account is not quiet yet."""
        with self._lock:
            pollers = list(self._by_account.get(account_id, ()))
        return any(p.busy() for p in pollers)

    def forget(self, poller: Poller) -> None:
        """A poller that saw its mapping gone or disabled has stopped."""
        with self._lock:
            if self._pollers.get(poller.uuid) is not poller:
                return
            self._drop(poller)
        esm, _ = poller.live()
        if esm is not None:  # enabled again while it was stopping: start afresh
            self.mapping_changed(esm)

    def _drop(self, poller: Poller) -> None:
        poller.stop()
        self._pollers.pop(poller.uuid, None)
        self._by_queue.get(poller.queue_arn, set()).discard(poller)
        self._by_account.get(poller.account_id, set()).discard(poller)

    def stop(self) -> None:
        with self._lock:
            for poller in list(self._pollers.values()):
                self._drop(poller)
