"""Kinesis and DynamoDB Streams event source mappings as the Lambda service runs them: one
poller per shard (per lane of a shard, with ParallelizationFactor) of each enabled mapping.

A shard's poller keeps a checkpoint (the last sequence number it is done with) and reads the
records after it, in order: up to BatchSize records that pass the mapping's filters, within
6 MB, waiting up to MaximumBatchingWindowInSeconds for a batch to fill. It invokes the function
synchronously with one event for the batch and, on success, moves the checkpoint past it.
Records that match none of the filters are skipped without an invocation. StartingPosition
sets the first checkpoint when the mapping is created: TRIM_HORIZON (the oldest record),
LATEST (only records written after the mapping exists) or, for Kinesis, AT_TIMESTAMP.

On a function error the shard waits: nothing after the batch is read until it succeeds or is
given up on. BisectBatchOnFunctionError splits a failing batch in two and retries each half
in order (a split does not use up a retry); a batch that cannot be split is retried up to
MaximumRetryAttempts times (-1: until the records expire), and any record older than
MaximumRecordAgeInSeconds is given up on before it is sent again. With
`ReportBatchItemFailures` the function names failed records by sequence number: Lambda
checkpoints before the lowest one and retries from it (an empty or null list is a success, an
identifier that is not in the batch a complete failure). A batch given up on goes, as AWS's
invocation record (KinesisBatchInfo or DDBStreamBatchInfo, not the records themselves), to
the OnFailure destination (SQS, SNS, or S3 with the batch itself), and the shard moves on.

ParallelizationFactor (1-10) splits a shard into that many lanes, each a poller of its own
with its own checkpoint, batches and retries: up to that many batches of one shard are in
flight at once, each its own invocation (so its own execution environment). A record's lane
is the MD5 hash of its key modulo the factor (AWS does not document how it spreads keys), the
key being the Kinesis partition key or the DynamoDB item key, so records with the same key
always share a lane: never in two concurrent batches, always delivered in order ("in-order
processing at the partition-key level"). A failing batch holds up only its lane; the shard's
checkpoint (where a disabled mapping resumes) is the lowest of its lanes'. Changing the factor
restarts the lanes from that checkpoint once the old ones have stopped.

TumblingWindowInSeconds: tumbling_windows.py.

After a reshard (SplitShard, MergeShards, UpdateShardCount) a child shard's pollers wait
until the mapping has processed its parents to their end, as Lambda does, so a partition
key's records stay in order across it. Not modelled: enhanced fan-out consumers and records
expiring with the stream's retention period. Retry waits: stream_records.py.

Each poller has its own thread and sleeps on an event set when its stream gets a record (or
its sandbox's clock is advanced), so an idle mapping costs nothing and a lane that keeps
failing holds up nothing else.
"""

import json
import logging
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field

from moto.awslambda.models import lambda_backends

from serverless_lab.cloud import trace
from serverless_lab.cloud.awslambda.invoke_api import mapping_function
from serverless_lab.cloud.awslambda.runtime.functions import Throttled

from . import filters as event_filters
from .sqs_poller import PAYLOAD_LIMIT_BYTES, _enabled, _existing
from .stream_events import (
    RECORD_AGE_EXCEEDED,
    REPORT_BATCH_ITEM_FAILURES,
    RETRIES_EXHAUSTED,
    first_failure,
    on_failure_record,
    record_key,
    sequence_number,
    window_event,
    window_state,
)
from .stream_records import (
    SOURCES,
    THROTTLE_BACKOFF_SECONDS,
    Part,
    Record,
    int_or,
    lane_of,
    matches,
    retry_delay,
)
from .tumbling_windows import TumblingWindows, Window

logger = logging.getLogger(__name__)

IDLE_RECHECK_SECONDS = 5.0  # also notices what no hook announces (an account reset)
ERROR_BACKOFF_SECONDS = 1.0
RECORD_OVERHEAD_BYTES = 256
MAX_WINDOW_STATE_BYTES = 1024 * 1024  # "Your state can be a maximum of 1 MB per shard"


# -- a shard's poller ---------------------------------------------------------------------
@dataclass(eq=False)
class ShardPoller(TumblingWindows):
    mappings: object  # the StreamMappings that started it
    account_id: str
    region: str
    uuid: str
    source_arn: str
    shard_id: str
    lane: int = 0
    lanes: int = 1  # the ParallelizationFactor it was started with
    after: list = field(default_factory=list)  # pollers to wait for (the factor changed)
    wake: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    stopped: bool = False
    holding: bool = False  # has read records it has not finished with
    window: Window | None = None
    arrivals: dict = field(default_factory=dict)  # sequence number -> arrival on the lab clock
    parents_done: bool = False  # its shard's parents (a reshard) are read to their end

    @property
    def source(self):
        return SOURCES[self.source_arn.split(":")[2]]

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.uuid, self.shard_id, self.lane)

    @property
    def checkpoint(self) -> int:
        """The last sequence number of this lane's records it is done with (records of other
        lanes before it may still be in flight)."""
        floor = self.mappings.checkpoints.get((self.uuid, self.shard_id), 0)
        if self.lanes == 1:
            return floor
        return max(floor, self.mappings.lane_checkpoints.get(self._lane(self.lane), floor))

    @checkpoint.setter
    def checkpoint(self, seq: int) -> None:
        key = (self.uuid, self.shard_id)
        checkpoints = self.mappings.checkpoints
        if key not in checkpoints:  # not once the mapping is deleted
            return
        if self.lanes > 1:
            lanes = self.mappings.lane_checkpoints
            lanes[self._lane(self.lane)] = seq = max(seq, self.checkpoint)
            # The shard is done up to where its slowest lane is.
            seq = min(lanes.get(self._lane(n), checkpoints[key]) for n in range(self.lanes))
        checkpoints[key] = max(seq, checkpoints[key])
        for number in [n for n in self.arrivals if n <= self.checkpoint]:
            del self.arrivals[number]
        for child in self.mappings.waiting_on.pop(key, ()):  # a reshard's children
            child.wake.set()

    def _parents_pending(self, shard) -> bool:
        """Whether a parent of the shard (after a split, or both after a merge) still has
        records this mapping has not processed: Lambda reads a parent to its end before its
        children, so each partition key's records stay in order across a reshard."""
        parents = [p for p in (getattr(shard, "parent", None),
                               getattr(shard, "adjacent_parent", None)) if p]
        if not parents or self.parents_done:
            return False
        for parent in parents:  # before looking, so a parent finishing meanwhile wakes it
            self.mappings.waiting_on.setdefault((self.uuid, parent), set()).add(self)
        shards = self.source.shards(self.account_id, self.region, self.source_arn)
        # A closed parent takes no more records: once read to its end, it stays done.
        self.parents_done = not any(
            p in shards and self.mappings.checkpoints.get((self.uuid, p), 0)
            < self.source.last(shards[p]) for p in parents)
        return not self.parents_done

    def _lane(self, lane: int) -> tuple[str, str, int, int]:
        return (self.uuid, self.shard_id, self.lanes, lane)

    def start(self) -> None:
        threading.Thread(target=self._run, daemon=True,
                         name=f"stream-poller-{self.uuid[:8]}-{self.shard_id[-6:]}-{self.lane}"
                         ).start()

    def stop(self) -> None:
        self.stopped = True
        self.wake.set()

    def live(self):
        """(mapping, shard) as moto has them now; (None, None) once the mapping is gone or
        disabled, (mapping, None) while the shard does not exist."""
        functions = _existing(lambda_backends, self.account_id, self.region)
        esm = functions.get_event_source_mapping(self.uuid) if functions else None
        if esm is None or not _enabled(esm) or esm.event_source_arn != self.source_arn:
            return None, None
        shard = self.source.shards(self.account_id, self.region, self.source_arn)
        return esm, shard.get(self.shard_id)

    def busy(self) -> bool:
        if self.holding or self._window_over():
            return True
        esm, shard = self.live()
        return bool(esm and shard is not None and self.source.last(shard) > self.checkpoint)

    def _run(self) -> None:
        for earlier in self.after:  # the lanes of the previous factor, stopping
            earlier.done.wait()
        self.after = []
        while not self.stopped:
            try:
                esm, shard = self.live()
                if esm is None:
                    break
                if shard is None or self._parents_pending(shard):
                    self.wake.wait(IDLE_RECHECK_SECONDS)
                    self.wake.clear()
                    continue
                batch = self._gather(esm, shard)
                if batch and not self.stopped:
                    self._process(esm, *batch)
            except Exception:  # noqa: BLE001 - a poller must outlive any one bad batch
                logger.exception("Stream poller %s/%s failed a round", self.uuid, self.shard_id)
                time.sleep(ERROR_BACKOFF_SECONDS)
            finally:
                self.holding = False
        try:
            self.mappings.forget(self)
        finally:
            self.done.set()

    def _read(self, esm, shard):
        """(records for the next batch, the last sequence number read, the filtered-out
        records, whether the batch is full: BatchSize records, 6 MB, or the end of its
        tumbling window). Records of other lanes are passed over."""
        fn = lambda_backends[self.account_id][self.region].get_function(esm.function_arn)
        patterns = event_filters.patterns_parse(esm.filter_criteria)
        batch, filtered, size, read_to = [], [], 0, self.checkpoint
        for record in self.source.after(shard, self.checkpoint, esm=esm, role=fn.role,
                                        shard_id=self.shard_id):
            if lane_of(record_key(record.event), self.lanes) != self.lane:
                read_to = record.seq
                continue
            if not matches(record.event, patterns):
                filtered.append(record)
                read_to = record.seq
                continue
            record_size = len(json.dumps(record.event)) + RECORD_OVERHEAD_BYTES
            if batch and (len(batch) >= esm.batch_size
                          or size + record_size > PAYLOAD_LIMIT_BYTES
                          or self._window_start(esm, record) != self._window_start(esm,
                                                                                  batch[0])):
                return batch, read_to, filtered, True
            batch.append(record)
            size += record_size
            read_to = record.seq
        return batch, read_to, filtered, len(batch) >= esm.batch_size

    def _gather(self, esm, shard):
        """Read until the batch is full, the window has closed or the payload is full."""
        window = int(esm.max_batch_window or 0)
        closes = None
        while not self.stopped:
            self.wake.clear()  # before reading, so a record written meanwhile wakes the wait
            batch, read_to, filtered, full = self._read(esm, shard)
            if not batch and read_to > self.checkpoint:  # filtered out, or other lanes'
                self.checkpoint = read_to
                if filtered:
                    self._record_filtered(esm, filtered)
                continue
            if self.window is not None and (
                    self.window.terminated_early
                    or (batch and self._window_start(esm, batch[0]) != self.window.start)
                    or (not batch and self._window_over())):
                self._close_window(esm)  # before any record of a later window
                if self.live()[0] is not esm:
                    return None
                continue
            now = time.monotonic()
            if batch:
                self.holding = True
                closes = now + window if closes is None else closes
                if full or now >= closes or self._window_over():
                    if filtered:
                        self._record_filtered(esm, filtered)
                    return batch, read_to
            wait = IDLE_RECHECK_SECONDS if closes is None else max(0.0, closes - now)
            if self.window is not None:  # wake when the window is over
                wait = min(wait, max(0.0, self.window.end - self.mappings.now(self.account_id)))
            self.wake.wait(wait)
            if self.live()[0] is not esm:
                return None
        return None

    def _record_filtered(self, esm, records: list[Record]) -> None:
        self.mappings.recorder.record(
            self.account_id, trace.DELIVERY, source=_source_name(esm),
            target=esm.function_arn.split(":")[6], mode="filtered", batch_size=0,
            shard=self.shard_id, mapping=esm.uuid,
            filtered_out=[sequence_number(r.event) for r in records])

    def _process(self, esm, batch: list[Record], read_to: int) -> None:
        """Deliver a batch until every record of it succeeded or was given up on; the shard
        reads nothing new meanwhile."""
        parts = deque([Part(batch, window=self._window_for(esm, batch))])
        last = None  # the latest invocation, for an on-failure record
        while parts and not self.stopped:
            if self.live()[0] is not esm:
                return  # disabled or deleted: the checkpoint stays before what is left
            part = parts[0]
            expired = _expired(esm, part.records)
            if expired:
                self._give_up(esm, part, expired, RECORD_AGE_EXCEEDED, last)
                part.records = part.records[len(expired):]
                if not part.records:
                    parts.popleft()
                continue
            failed_from, last = self._invoke(esm, part)
            if failed_from is None:
                self.checkpoint = part.records[-1].seq
                parts.popleft()
                continue
            if failed_from == "throttled":
                self.wake.wait(THROTTLE_BACKOFF_SECONDS)
                continue
            if failed_from > 0:
                # ReportBatchItemFailures: checkpoint before the lowest failed record and
                # retry from it (with bisection on, as a split: no retry used up).
                self.checkpoint = part.records[failed_from - 1].seq
                part.records = part.records[failed_from:]
                if esm.bisect_on_error:
                    part.invocations = 0
                    continue
            elif esm.bisect_on_error and len(part.records) > 1:
                half = len(part.records) // 2
                parts.popleft()
                parts.extendleft([Part(part.records[half:], part.retries, window=part.window),
                                  Part(part.records[:half], part.retries, window=part.window)])
                self._record_retry(esm, part, bisected=True)
                continue
            part.retries += 1
            limit = int_or(esm.max_retry_attempts, -1)
            if limit != -1 and part.retries > limit:
                self._give_up(esm, part, part.records, RETRIES_EXHAUSTED, last)
                parts.popleft()
                continue
            self._record_retry(esm, part, bisected=False)
            self.wake.wait(retry_delay(part.retries))
        if not parts:
            self.checkpoint = read_to

    def _invoke(self, esm, part: Part):
        """Invoke with the part's records: (index of the first failed record or None for
        success, or "throttled"; the invocation)."""
        functions = lambda_backends[self.account_id][self.region]
        fn, through = mapping_function(functions, esm)  # an alias's current version
        event = self._event(esm, part)
        part.invocations += 1
        delivery = self.mappings.recorder.record(
            self.account_id, trace.DELIVERY, source=_source_name(esm), target=fn.function_name,
            mode="poll", batch_size=len(part.records), event=event, shard=self.shard_id,
            mapping=esm.uuid, attempt=part.retries + 1,
            **({"lane": self.lane} if self.lanes > 1 else {}),
            **({"window": event["window"], "final": part.final} if part.window else {}))
        try:
            invocation = self.mappings.invoke(fn, json.dumps(event), qualified_arn=through)
        except Throttled as e:
            delivery.update(outcome="throttled", error=type(e).__name__)
            return "throttled", None
        numbers = [sequence_number(r.event) for r in part.records]
        state = window_state(invocation.payload) if part.window else None
        if invocation.error is not None:
            failed_from = 0
        elif part.window and state is None:
            failed_from = 0  # a tumbling window's answer must carry its state
        elif REPORT_BATCH_ITEM_FAILURES in (esm.function_response_types or []) and numbers:
            failed_from = first_failure(invocation.payload, numbers)
        else:
            failed_from = None
        if part.window and not part.final and failed_from != 0:
            part.window.state, part.window.invoked = state, True
            if len(json.dumps(state).encode()) > MAX_WINDOW_STATE_BYTES:
                part.window.terminated_early = True
        delivery.update(
            outcome="success" if failed_from is None else "partial" if failed_from else "failure",
            failed=[] if failed_from is None else numbers[failed_from:])
        return failed_from, invocation

    def _event(self, esm, part: Part) -> dict:
        records = [r.event for r in part.records]
        window = part.window
        if window is None:
            return {"Records": records}
        return window_event(records, start=window.start, end=window.end, state=window.state,
                            shard_id=self.shard_id, stream_arn=esm.event_source_arn,
                            final=part.final,
                            terminated_early=part.final and window.terminated_early)

    def _record_retry(self, esm, part: Part, *, bisected: bool) -> None:
        self.mappings.recorder.record(
            self.account_id, trace.DELIVERY, source=_source_name(esm),
            target=esm.function_arn.split(":")[6], mode="retry", bisected=bisected,
            batch_size=len(part.records), shard=self.shard_id, mapping=esm.uuid,
            retries=part.retries,
            sequence_numbers=[sequence_number(r.event) for r in part.records])

    def _give_up(self, esm, part: Part, records: list[Record], condition: str,
                 invocation) -> None:
        """Send the batch's description to the OnFailure destination; the shard moves on."""
        target = ((esm.destination_config or {}).get("OnFailure") or {}).get("Destination")
        request_id = invocation.request_id if invocation else str(uuid.uuid4())
        record = on_failure_record(
            records=[r.event for r in records], arrivals=[r.arrival for r in records],
            shard_id=self.shard_id, stream_arn=esm.event_source_arn,
            function_arn=esm.function_arn, condition=condition, request_id=request_id,
            invoke_count=part.invocations,
            function_error=bool(invocation and invocation.error is not None))
        self.checkpoint = records[-1].seq
        if target:
            try:
                self.mappings.send(esm, target, record,
                                   {"Records": [r.event for r in records]},
                                   shard_id=self.shard_id, request_id=request_id)
            except Exception as e:  # noqa: BLE001 - AWS drops it (DestinationDeliveryFailures)
                logger.warning("On-failure destination %s refused: %s", target, e)
        self.mappings.recorder.record(
            self.account_id, trace.DELIVERY, source=esm.function_arn.split(":")[6],
            target=target, mode="destination" if target else "discarded",
            condition=condition, batch_size=len(records), shard=self.shard_id,
            mapping=esm.uuid, event=record)


def _source_name(esm) -> str:
    return "aws:" + esm.event_source_arn.split(":")[2]


def _expired(esm, records: list[Record]) -> list[Record]:
    """The leading records older than MaximumRecordAgeInSeconds (-1 or unset: none)."""
    limit = int_or(esm.max_record_age, -1)
    if limit == -1:
        return []
    oldest_allowed = time.time() - limit
    expired = []
    for record in records:
        if record.arrival >= oldest_allowed:
            break
        expired.append(record)
    return expired


