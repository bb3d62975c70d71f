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

TumblingWindowInSeconds (0-900) groups records into windows aligned to multiples of the
window since the epoch, by arrival time, and no batch spans two windows. Each invocation gets
`window` {start, end}, the `state` the function returned last in that window (`{}` at first),
`shardId`, `eventSourceARN`, `isFinalInvokeForWindow` and `isWindowTerminatedEarly`; an
answer without a `state` object is a failed invocation (retried as any other). When the
window is over, Lambda invokes once more with no records, `isFinalInvokeForWindow: true` and
the aggregate state, retried until it succeeds, then drops the state. A state over 1 MB ends
the window early: that final invocation has `isWindowTerminatedEarly: true` and the window
goes on with a fresh state. Window time runs on the sandbox's lab clock (clock.py): a record's
arrival is shifted by the clock's offset when its lane first reads it (moments after the
write), and `lab clock --advance` closes an open window at once. With a factor above 1 each
lane keeps its own windows and state (AWS documents the state per shard). A sandbox whose
windows only wait for their end is quiet, as Firehose's buffers are.

After a reshard (SplitShard, MergeShards, UpdateShardCount) a child shard's pollers wait
until the mapping has processed its parents to their end, as Lambda does, so a partition
key's records stay in order across it. Not modelled: enhanced fan-out consumers and records
expiring with the stream's retention period. Retries wait 0.1 s,
doubling up to 2 s: AWS does not document its backoff, and lab time is short.

Each poller has its own thread and sleeps on an event set when its stream gets a record (or
its sandbox's clock is advanced), so an idle mapping costs nothing and a lane that keeps
failing holds up nothing else.
"""

import base64
import hashlib
import json
import logging
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from moto.awslambda.models import lambda_backends
from moto.core.utils import unix_time
from moto.dynamodb.models import dynamodb_backends
from moto.kinesis.models import kinesis_backends

from . import event_filters, trace
from .invoke_api import mapping_function
from .runtime.lambda_runtime import Throttled
from .sqs_mappings import PAYLOAD_LIMIT_BYTES, _enabled, _existing
from .stream_events import (
    RECORD_AGE_EXCEEDED,
    REPORT_BATCH_ITEM_FAILURES,
    RETRIES_EXHAUSTED,
    dynamodb_record,
    first_failure,
    kinesis_record,
    on_failure_record,
    record_key,
    s3_failure_key,
    sequence_number,
    window_event,
    window_state,
    with_payload,
)

logger = logging.getLogger(__name__)

IDLE_RECHECK_SECONDS = 5.0  # also notices what no hook announces (an account reset)
ERROR_BACKOFF_SECONDS = 1.0
THROTTLE_BACKOFF_SECONDS = 1.0
RETRY_FIRST_DELAY_SECONDS = 0.1
RETRY_MAX_DELAY_SECONDS = 2.0
RECORD_OVERHEAD_BYTES = 256
MAX_WINDOW_STATE_BYTES = 1024 * 1024  # "Your state can be a maximum of 1 MB per shard"


def is_stream_mapping(esm) -> bool:
    return esm.event_source_arn.split(":")[2] in ("kinesis", "dynamodb")


def parallelization(esm) -> int:
    """The mapping's ParallelizationFactor: how many lanes each shard has (default 1)."""
    return min(10, max(1, _int(esm.parallelization_factor, 1)))


def lane_of(key: str, lanes: int) -> int:
    """The lane a record key belongs to: the same key always the same lane."""
    if lanes == 1:
        return 0
    return int.from_bytes(hashlib.md5(key.encode()).digest()[:8], "big") % lanes


@dataclass
class Record:
    """A record of a shard as the poller holds it: its number, arrival and event document."""

    seq: int
    arrival: float
    event: dict


# -- the two sources, read the way Lambda's poller reads them --------------------------------
class KinesisSource:
    @staticmethod
    def shards(account_id: str, region: str, arn: str) -> dict:
        backend = _existing(kinesis_backends, account_id, region)
        streams = list(backend.streams.values()) if backend else []
        stream = next((s for s in streams if s.arn == arn), None)
        return dict(stream.shards) if stream else {}

    @staticmethod
    def last(shard) -> int:
        return next(reversed(shard.records), 0) if shard.records else 0

    @staticmethod
    def horizon(shard) -> int:
        return 0

    @staticmethod
    def start(shard, esm) -> int:
        position = (esm.starting_position or "TRIM_HORIZON").upper()
        if position == "LATEST":
            return KinesisSource.last(shard)
        if position == "AT_TIMESTAMP":
            at = _epoch(esm.starting_position_timestamp)
            earlier = [r.sequence_number for r in _values(shard.records) if r.created_at < at]
            return max(earlier, default=0)
        return 0

    @staticmethod
    def after(shard, seq: int, *, esm, role: str, shard_id: str) -> list[Record]:
        records = _values(shard.records)
        # moto numbers a shard's records 1, 2, 3...: the one after `seq` is at index seq.
        if len(records) > seq and records[seq].sequence_number == seq + 1:
            records = records[seq:]
        else:
            records = [r for r in records if r.sequence_number > seq]
        return [Record(r.sequence_number, r.created_at,
                       kinesis_record(r, shard_id=shard_id, stream_arn=esm.event_source_arn,
                                      region=esm.region, role=role)) for r in records]


class DynamoSource:
    @staticmethod
    def shards(account_id: str, region: str, arn: str) -> dict:
        backend = _existing(dynamodb_backends, account_id, region)
        table = backend.tables.get(arn.split(":", 5)[5].split("/")[1]) if backend else None
        if table is None or table.stream_shard is None or stream_arn(table) != arn:
            return {}
        return {table.stream_shard.id: table.stream_shard}

    @staticmethod
    def last(shard) -> int:
        return shard.starting_sequence_number + len(shard.items) - 1

    @staticmethod
    def horizon(shard) -> int:
        return shard.starting_sequence_number - 1

    @staticmethod
    def start(shard, esm) -> int:
        if (esm.starting_position or "TRIM_HORIZON").upper() == "LATEST":
            return DynamoSource.last(shard)
        return DynamoSource.horizon(shard)

    @staticmethod
    def after(shard, seq: int, *, esm, role: str, shard_id: str) -> list[Record]:
        first = max(0, seq - shard.starting_sequence_number + 1)
        found = []
        for item in shard.items[first:]:
            document = item.to_json()
            created = document["dynamodb"]["ApproximateCreationDateTime"]
            created = unix_time(created) if isinstance(created, datetime) else float(created)
            found.append(Record(int(document["dynamodb"]["SequenceNumber"]), created,
                                dynamodb_record(document, created_at=created,
                                                stream_arn=esm.event_source_arn,
                                                region=esm.region)))
        return found


SOURCES = {"kinesis": KinesisSource, "dynamodb": DynamoSource}


def stream_arn(table) -> str:
    return f"{table.table_arn}/stream/{table.latest_stream_label}"


def _values(mapping) -> list:
    """A copy of a dict's values, safe while a producer's request adds to it."""
    while True:
        try:
            return list(mapping.values())
        except RuntimeError:  # changed size during the copy: copy again
            continue


def _epoch(value) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    try:
        return float(value)
    except (TypeError, ValueError):
        return datetime.fromisoformat(str(value)).timestamp()


def _matches(record: dict, patterns: list[dict]) -> bool:
    """Kinesis filters apply to `data` (matched as JSON when it decodes to a JSON object);
    DynamoDB filters to the whole record."""
    if not patterns:
        return True
    document = record
    if "kinesis" in record:
        try:
            data = json.loads(base64.b64decode(record["kinesis"]["data"]))
        except (ValueError, TypeError):
            data = None
        document = {"data": data if isinstance(data, dict) else None}
    return event_filters.document_matches(document, patterns)


# -- a shard's poller ---------------------------------------------------------------------
@dataclass
class Window:
    """A lane's open tumbling window: its bounds on the lab clock and the state so far."""

    start: float
    end: float
    state: dict = field(default_factory=dict)
    invoked: bool = False  # an invocation with records succeeded in it: it gets a final one
    terminated_early: bool = False  # the state grew past 1 MB


@dataclass
class Part:
    """Records of a batch still to be delivered, with how often they were tried."""

    records: list[Record]
    retries: int = 0
    invocations: int = 0
    window: Window | None = None  # the tumbling window the records belong to
    final: bool = False  # the window's final invocation (no records)


@dataclass(eq=False)
class ShardPoller:
    mappings: "StreamMappings"
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

    # -- tumbling windows -------------------------------------------------------------------
    def _window_start(self, esm, record: Record) -> float | None:
        """The start of the window the record belongs to, on the lab clock (None: no
        windows). Its arrival is fixed the first time the lane reads it."""
        seconds = _int(esm.tumbling_window, 0)
        if seconds <= 0:
            return None
        arrival = self.arrivals.get(record.seq)
        if arrival is None:
            arrival = self.arrivals[record.seq] = (
                record.arrival + self.mappings.offset(self.account_id))
        return arrival // seconds * seconds

    def _window_over(self) -> bool:
        window = self.window
        return bool(window and (window.terminated_early
                                or self.mappings.now(self.account_id) >= window.end))

    def _window_for(self, esm, records: list[Record]) -> Window | None:
        start = self._window_start(esm, records[0])
        if start is None:
            return None
        if self.window is None or self.window.start != start:
            self.window = Window(start, start + _int(esm.tumbling_window, 0))
        return self.window

    def _close_window(self, esm) -> None:
        """The window is over: its final invocation, with the aggregate state and no
        records, retried until it succeeds (AWS: processing is suspended until then)."""
        window = self.window
        if window.invoked:
            final = Part([], window=window, final=True)
            while not self.stopped:
                if self.live()[0] is not esm:
                    return  # disabled or deleted: the state goes with the poller
                failed, _ = self._invoke(esm, final)
                if failed is None:
                    break
                if failed != "throttled":
                    final.retries += 1
                    self._record_retry(esm, final, bisected=False)
                self.wake.wait(THROTTLE_BACKOFF_SECONDS if failed == "throttled" else min(
                    RETRY_MAX_DELAY_SECONDS,
                    RETRY_FIRST_DELAY_SECONDS * 2 ** (final.retries - 1)))
            else:
                return
        # Terminated early, the same window goes on with a fresh state.
        self.window = (Window(window.start, window.end) if window.terminated_early
                       and self.mappings.now(self.account_id) < window.end else None)

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
            if not _matches(record.event, patterns):
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
            limit = _int(esm.max_retry_attempts, -1)
            if limit != -1 and part.retries > limit:
                self._give_up(esm, part, part.records, RETRIES_EXHAUSTED, last)
                parts.popleft()
                continue
            self._record_retry(esm, part, bisected=False)
            self.wake.wait(min(RETRY_MAX_DELAY_SECONDS,
                               RETRY_FIRST_DELAY_SECONDS * 2 ** (part.retries - 1)))
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


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _expired(esm, records: list[Record]) -> list[Record]:
    """The leading records older than MaximumRecordAgeInSeconds (-1 or unset: none)."""
    limit = _int(esm.max_record_age, -1)
    if limit == -1:
        return []
    oldest_allowed = time.time() - limit
    expired = []
    for record in records:
        if record.arrival >= oldest_allowed:
            break
        expired.append(record)
    return expired


# -- every stream mapping's pollers ---------------------------------------------------------
class StreamMappings:
    """The pollers of every Kinesis and DynamoDB Streams mapping in the lab cloud."""

    def __init__(self, *, invoke, recorder: trace.Recorder, deliver, sandbox):
        self.invoke = invoke  # (moto LambdaFunction, event JSON) -> Invocation
        self.deliver = deliver  # (account, region, target_arn, document, attributes)
        self.sandbox = sandbox  # account id -> Sandbox with service credentials (for S3)
        self.recorder = recorder
        self.checkpoints: dict[tuple[str, str], int] = {}  # (mapping, shard) -> sequence no.
        # (mapping, shard, factor, lane) -> sequence no., with ParallelizationFactor above 1
        self.lane_checkpoints: dict[tuple[str, str, int, int], int] = {}
        # (mapping, parent shard) -> the pollers of its children, waiting for it to be read
        self.waiting_on: dict[tuple[str, str], set] = {}
        self.clock = None  # the lab clock (tumbling windows); real time until use_clock
        self._lock = threading.Lock()
        self._pollers: dict[tuple[str, str, int], ShardPoller] = {}
        self._by_source: dict[str, set[ShardPoller]] = {}
        self._by_account: dict[str, set[ShardPoller]] = {}
        recorder.add_busy_check(self.busy)

    def use_clock(self, clock) -> None:
        """Run tumbling windows on the sandboxes' lab clock; an advance wakes the pollers."""
        self.clock = clock
        clock.move_listeners.append(self.clock_moved)

    def now(self, account_id: str) -> float:
        return self.clock.now(account_id) if self.clock else time.time()

    def offset(self, account_id: str) -> float:
        return self.clock.offset(account_id) if self.clock else 0.0

    def clock_moved(self, account_id: str) -> None:
        """The sandbox's clock was advanced: its pollers see whether a window is over."""
        with self._lock:
            pollers = list(self._by_account.get(account_id, ()))
        for poller in pollers:
            poller.wake.set()

    def mapping_changed(self, esm) -> None:
        """Created, updated, enabled or disabled: start or stop its shards' pollers."""
        if not is_stream_mapping(esm):
            return
        with self._lock:
            stopped = []
            for poller in [p for p in self._pollers.values() if p.uuid == esm.uuid]:
                if (not _enabled(esm) or poller.source_arn != esm.event_source_arn
                        or poller.lanes != parallelization(esm)):
                    self._drop(poller)
                    stopped.append(poller)
                else:
                    poller.wake.set()  # BatchSize, window or filters changed: re-read them
            if _enabled(esm):
                self._start_shards(esm, after=stopped)

    def _start_shards(self, esm, *, found_later: bool = False, after=()) -> None:
        source = SOURCES[esm.event_source_arn.split(":")[2]]
        lanes = parallelization(esm)
        for shard_id, shard in source.shards(esm.account_id, esm.region,
                                             esm.event_source_arn).items():
            # The starting position counts once, when the mapping is created; a disabled
            # mapping enabled again resumes from its checkpoint, and a shard that appears
            # later (a reshard) is read from its beginning.
            self.checkpoints.setdefault(
                (esm.uuid, shard_id),
                source.horizon(shard) if found_later else source.start(shard, esm))
            for lane in range(lanes):
                if (esm.uuid, shard_id, lane) in self._pollers:
                    continue
                poller = ShardPoller(self, esm.account_id, esm.region, esm.uuid,
                                     esm.event_source_arn, shard_id, lane=lane, lanes=lanes,
                                     after=[p for p in after if p.shard_id == shard_id])
                self._pollers[poller.key] = poller
                self._by_source.setdefault(poller.source_arn, set()).add(poller)
                self._by_account.setdefault(poller.account_id, set()).add(poller)
                poller.start()

    def mapping_deleted(self, uuid: str) -> None:
        with self._lock:
            for poller in [p for p in self._pollers.values() if p.uuid == uuid]:
                self._drop(poller)
            for key in [k for k in self.checkpoints if k[0] == uuid]:
                del self.checkpoints[key]
            for key in [k for k in self.lane_checkpoints if k[0] == uuid]:
                del self.lane_checkpoints[key]
            for key in [k for k in self.waiting_on if k[0] == uuid]:
                del self.waiting_on[key]

    def records_added(self, source_arn: str) -> None:
        """A stream got records: wake its pollers (and start any for a new shard)."""
        with self._lock:
            pollers = list(self._by_source.get(source_arn, ()))
        for poller in pollers:
            poller.wake.set()
        if pollers:
            esm = pollers[0].live()[0]
            if esm is not None:
                with self._lock:
                    self._start_shards(esm, found_later=True)

    def busy(self, account_id: str) -> bool:
        """A shard of the account has records its mapping has not finished with."""
        with self._lock:
            pollers = list(self._by_account.get(account_id, ()))
        return any(p.busy() for p in pollers)

    def send(self, esm, target: str, record: dict, event: dict, *, shard_id: str,
             request_id: str) -> None:
        """Deliver an on-failure record to SQS or SNS, or (with the batch) to S3."""
        service = target.split(":")[2]
        if service == "s3":
            key = s3_failure_key(mapping_uuid=esm.uuid, shard_id=shard_id,
                                 request_id=request_id)
            self.sandbox(esm.account_id).client("s3").put_object(
                Bucket=target.split(":")[-1], Key=key, Body=with_payload(record, event).encode(),
                ContentType="application/json")
            return
        self.deliver(esm.account_id, esm.region, target, json.dumps(record), None)

    def forget(self, poller: ShardPoller) -> None:
        """A poller that saw its mapping gone or disabled has stopped."""
        with self._lock:
            if self._pollers.get(poller.key) is not poller:
                return
            self._drop(poller)
        esm, _ = poller.live()
        if esm is not None:  # enabled again while it was stopping: start afresh
            self.mapping_changed(esm)

    def _drop(self, poller: ShardPoller) -> None:
        poller.stop()
        self._pollers.pop(poller.key, None)
        self._by_source.get(poller.source_arn, set()).discard(poller)
        self._by_account.get(poller.account_id, set()).discard(poller)

    def stop(self) -> None:
        if self.clock and self.clock_moved in self.clock.move_listeners:
            self.clock.move_listeners.remove(self.clock_moved)
        with self._lock:
            for poller in list(self._pollers.values()):
                self._drop(poller)
