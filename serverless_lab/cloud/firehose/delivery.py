"""Amazon Data Firehose in the learner's account: delivery to S3 with AWS's buffering.

moto keeps delivery streams, but writes each PutRecord and PutRecordBatch call straight to S3
as its own object and never reads a Kinesis source. The lab replaces
`FirehoseBackend.put_record_batch` (moto's PutRecord goes through it too) and wraps
CreateDeliveryStream and DeleteDeliveryStream:

- CreateDeliveryStream checks what Firehose checks (buffering hints given in pairs and in
  range, the bucket and the source stream exist, prefix rules: config.py) and fills in
  the defaults DescribeDeliveryStream shows. A KinesisStreamAsSource stream starts reading its
  Kinesis stream at LATEST: records put before it existed are not delivered.
- Records join the delivery stream's buffer, as they came, with no delimiter. A buffer goes to
  S3 as one object when it reaches SizeInMBs (at once) or when IntervalInSeconds have passed
  on the sandbox's lab clock since its first record: a reader thread checks every second, and
  advancing the clock (`lab clock --advance`) delivers what falls due in the skipped time.
  PutRecord and PutRecordBatch on a Kinesis-sourced stream are refused, as on AWS.
- The reader also reads each Kinesis source, every shard once a second as Firehose does,
  straight from moto's Kinesis backend: it is another consumer of the stream, independent of
  any Lambda event source mapping.
- Each delivery is S3 PutObject with the lab's service credentials (so the trace shows it as
  AWS's call) and a `delivery` hop: aws:firehose -> bucket, with the record count and key.
- With a Lambda processor (ProcessingConfiguration, transform.py), records first
  wait in the processor's own buffer (BufferSizeInMBs, default 1 MB; BufferIntervalInSeconds,
  default 60 s, on the lab clock); each batch is one synchronous invocation in the learner's
  account (a `delivery` hop aws:firehose -> function, mode sync, then the invocation). Ok
  records join the S3 buffer transformed, Dropped ones vanish, and ProcessingFailed ones, or
  every record of a batch whose invocation still fails after NumberOfRetries retries (or whose
  answer breaks the status model), join a third buffer that is written, one JSON document a
  line, under the error output prefix (processing-failed/ by default).

Quiet: a sandbox whose buffers only wait for their interval is quiet. On AWS that wait is
minutes of nothing happening; a run must not sit through it, and cannot end it either
(only time, or a clock advance, does). In flight are: a delivery being written, and records
on a Kinesis source the reader has not read yet (at most a second).
"""

import base64
import gzip
import json
import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import lambda_backends
from moto.firehose.models import FirehoseBackend, firehose_backends
from moto.kinesis.models import kinesis_backends

from serverless_lab.cloud import trace
from serverless_lab.cloud.awslambda.runtime.functions import Throttled

from . import transform
from .config import (
    destination_of,
    error_prefix,
    object_key,
    records_joined,
)
from .transform import Arrival, LambdaProcessor, lambda_processor

SOURCE = "aws:firehose"
MIB = 1024 * 1024
logger = logging.getLogger(__name__)
READ_EVERY_SECONDS = 1.0  # Firehose calls GetRecords once per second per shard
RETRY_AFTER_SECONDS = 60.0  # a failed delivery is tried again after this much lab time


@dataclass
class Buffer:
    records: list[Arrival] = field(default_factory=list)
    size: int = 0
    first_at: float = 0.0  # lab time the buffer began to fill (its interval counts from here)
    retry_at: float = 0.0  # after a failed delivery, not before this lab time

    @property
    def oldest(self) -> float:
        """The oldest record's arrival: the time in its object's key."""
        return min((r.at for r in self.records), default=self.first_at)


# A delivery stream's buffers: records waiting for the Lambda processor, records waiting for
# S3, and failed records' documents waiting for the error output prefix.
PROCESSING, DELIVERY, FAILED = "processing", "delivery", "failed"


@dataclass
class Reader:
    """Where a Kinesis-sourced delivery stream is in each shard of its stream."""
    stream_arn: str
    positions: dict[str, int] = field(default_factory=dict)  # shard id -> last sequence read


class Firehose:
    """Every sandbox's delivery streams: their buffers, their Kinesis readers, deliveries."""

    def __init__(self, *, recorder: trace.Recorder, clock, accounts, invoke=None):
        self.recorder = recorder
        self.clock = clock
        self.accounts = accounts
        self.invoke = invoke  # (moto LambdaFunction, event JSON, qualified_arn=) -> Invocation
        self._lock = threading.RLock()
        self._buffers: dict[tuple[str, str, str, str], Buffer] = {}  # key + (stage,)
        self._readers: dict[tuple[str, str, str], Reader] = {}
        self._streams: set[tuple[str, str, str]] = set()  # (account, region, name)
        self.executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lab-firehose")
        self._stop = threading.Event()
        self.stop_listeners: list = []
        self._thread = threading.Thread(target=self._run, name="lab-firehose", daemon=True)
        recorder.add_busy_check(self.unread)
        clock.move_listeners.append(self.clock_moved)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self.clock_moved in self.clock.move_listeners:
            self.clock.move_listeners.remove(self.clock_moved)
        for listener in self.stop_listeners:  # moto_patch hands moto's hooks back
            listener()
        self.executor.shutdown(wait=False, cancel_futures=True)

    # -- the API hooks ------------------------------------------------------------------------

    def created(self, backend: FirehoseBackend, name: str) -> None:
        key = (backend.account_id, backend.region_name, name)
        stream = backend.delivery_streams[name]
        with self._lock:
            self._streams.add(key)
            self._drop_buffers(key)
            self._readers.pop(key, None)
            if stream.delivery_stream_type == "KinesisStreamAsSource":
                arn = stream.source["KinesisStreamARN"]
                source = _kinesis_stream(backend.account_id, arn)
                self._readers[key] = Reader(arn, {
                    shard_id: shard.get_max_sequence_number()  # LATEST
                    for shard_id, shard in (source.shards.items() if source else ())})

    def deleted(self, backend: FirehoseBackend, name: str) -> None:
        key = (backend.account_id, backend.region_name, name)
        with self._lock:
            self._streams.discard(key)
            self._drop_buffers(key)
            self._readers.pop(key, None)

    def _drop_buffers(self, key) -> None:
        for stage in (PROCESSING, DELIVERY, FAILED):
            self._buffers.pop((*key, stage), None)

    def put(self, backend: FirehoseBackend, name: str, records: list[Arrival]) -> None:
        """Records into the delivery stream (PutRecord, PutRecordBatch, a source): into the
        Lambda processor's buffer if it has one, else into the S3 buffer."""
        key = (backend.account_id, backend.region_name, name)
        now = self.clock.now(backend.account_id)
        stream = backend.delivery_streams.get(name)
        has_processor = bool(stream and lambda_processor(destination_of(stream)))
        with self._lock:
            self._streams.add(key)
        self._add(key, PROCESSING if has_processor else DELIVERY, records, now)
        self._deliver_due(key, now)

    def _add(self, key, stage: str, records: list[Arrival], at: float) -> None:
        with self._lock:
            buffer = self._buffers.setdefault((*key, stage), Buffer())
            if not buffer.records:
                buffer.first_at = at
            buffer.records += records
            buffer.size += sum(len(r.data) for r in records)

    # -- time passing -------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.wait(READ_EVERY_SECONDS):
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - one bad stream must not stop the others
                logger.exception("Firehose: a delivery stream's tick failed")

    def tick(self, account_id: str | None = None) -> None:
        """Read the Kinesis sources and deliver the buffers that fall due (in one account, or
        in all)."""
        with self._lock:
            keys = [k for k in self._streams if account_id is None or k[0] == account_id]
        for key in keys:
            if _delivery_stream(key) is None:
                self.deleted_key(key)
                continue
            self._read_source(key)
            self._deliver_due(key, self.clock.now(key[0]))

    def clock_moved(self, account_id: str) -> None:
        """The sandbox's clock was advanced: what fell due in the skipped time is delivered."""
        self.tick(account_id)

    def deleted_key(self, key) -> None:
        with self._lock:
            self._streams.discard(key)
            self._drop_buffers(key)
            self._readers.pop(key, None)

    def unread(self, account_id: str) -> bool:
        """Whether a Kinesis source in the account has records its reader has not read yet
        (the recorder's busy check: cheap, one look at the end of each shard)."""
        with self._lock:
            readers = [(k, r) for k, r in self._readers.items() if k[0] == account_id]
        for _, reader in readers:
            source = _kinesis_stream(account_id, reader.stream_arn)
            for shard_id, shard in list(source.shards.items()) if source else ():
                if shard.records and next(reversed(shard.records)) > \
                        reader.positions.get(shard_id, 0):
                    return True
        return False

    def _read_source(self, key) -> None:
        with self._lock:
            reader = self._readers.get(key)
        if reader is None:
            return
        source = _kinesis_stream(key[0], reader.stream_arn)
        if source is None:
            return  # the stream was deleted: Firehose reports the failure and reads nothing
        read = []
        for shard_id, shard in list(source.shards.items()):
            new = _records_after(shard, reader.positions.get(shard_id, 0))
            if new:
                reader.positions[shard_id] = new[-1][0]
                now = self.clock.now(key[0])
                read += [Arrival(base64.b64decode(r.data), now, transform.record_id(),
                                 _kinesis_metadata(shard_id, r)) for _, r in new]
        if read:
            backend = _backend(key[0], key[1])
            if backend is not None:
                self.put(backend, key[2], read)

    def _deliver_due(self, key, now: float) -> None:
        """Start what is due: a batch for the Lambda processor, an object for S3, an object of
        failed records for the error output prefix."""
        stream = _delivery_stream(key)
        destination = destination_of(stream) if stream else None
        if destination is None:
            return
        hints = destination.get("BufferingHints") or {}
        size = int(hints.get("SizeInMBs", 5)) * MIB
        interval = int(hints.get("IntervalInSeconds", 300))
        processor = lambda_processor(destination)
        if processor is not None:
            due = self._take_due(key, PROCESSING, now, processor.buffer_bytes,
                                 processor.interval)
            if due:
                self._submit(key, self._transform, key, processor, *due)
        for stage in (DELIVERY, FAILED):
            due = self._take_due(key, stage, now, size, interval)
            if due:
                self._submit(key, self._deliver, key, due[0], due[1], stage)

    def _take_due(self, key, stage: str, now: float, size: int, interval: int):
        """(the buffer, why it is due, the lab time it fell due), emptied; or None."""
        with self._lock:
            buffer = self._buffers.get((*key, stage))
            if buffer is None or not buffer.records or now < buffer.retry_at:
                return None
            if buffer.size >= size:
                reason, due_at = "size", now
            elif now >= buffer.first_at + interval:
                reason, due_at = "interval", buffer.first_at + interval
            else:
                return None
            self._buffers[(*key, stage)] = Buffer()
        return buffer, reason, due_at

    def _submit(self, key, work, *args) -> None:
        self.recorder.begin(key[0])
        try:
            self.executor.submit(work, *args)
        except RuntimeError:  # shutting down
            self.recorder.end(key[0])

    def _transform(self, key, processor: LambdaProcessor, buffer: Buffer, reason: str,
                   due_at: float) -> None:
        """Invoke the processor with the batch (in invocations under 6 MB), then send each
        record where its result says. What goes on joins the S3 and error buffers as of the
        moment the batch fell due, so a clock advance past both intervals delivers both."""
        account_id = key[0]
        try:
            stream = _delivery_stream(key)
            if stream is None:
                return
            for batch in transform.batches(buffer.records):
                ok, failed = self._invoke_processor(key, stream, processor, batch, reason)
                if ok:
                    self._add(key, DELIVERY, ok, due_at)
                if failed:
                    self._add(key, FAILED, failed, due_at)
            self._deliver_due(key, self.clock.now(account_id))
        except Exception:  # noqa: BLE001 - a worker thread: say what broke, keep running
            import traceback

            traceback.print_exc()
        finally:
            self.recorder.end(account_id)

    def _invoke_processor(self, key, stream, processor: LambdaProcessor,
                          records: list[Arrival], reason: str):
        """(Ok records transformed, failure documents) for one invocation's records, after up
        to 1 + NumberOfRetries attempts when the invocation itself fails."""
        account_id, region, name = key
        event = transform.transformation_event(
            records=records, stream_arn=stream.delivery_stream_arn, region=region,
            source_arn=(stream.source or {}).get("KinesisStreamARN")
            if stream.delivery_stream_type == "KinesisStreamAsSource" else None)
        document = json.dumps(event)
        attempts, outcome = 0, None
        while attempts <= processor.retries:
            attempts += 1
            target = processor.arn.split(":")[6] if processor.arn.count(":") >= 6 \
                else processor.arn
            hop = self.recorder.record(account_id, trace.DELIVERY, source=SOURCE,
                                       target=target, mode="sync", batch_size=len(records),
                                       delivery_stream=name, attempt=attempts, reason=reason,
                                       event=event)
            outcome = self._invoke_once(account_id, region, processor.arn, document, records)
            if isinstance(outcome, transform.Outcome):
                hop.update(outcome="success", results={
                    "Ok": len(outcome.ok), "Dropped": len(outcome.dropped),
                    "ProcessingFailed": len(outcome.failed)})
                break
            error, retriable = outcome
            hop.update(outcome="failure", error_code=error[0], error_message=error[1])
            if not retriable:
                break
        ended = self.clock.now(account_id)
        if isinstance(outcome, transform.Outcome):
            failed = outcome.failed
            ok = outcome.ok
        else:
            failed = [(record, outcome[0]) for record in records]
            ok = []
        documents = [Arrival(transform.failure_document(
            record, error, attempts=attempts, ended_at=ended, lambda_arn=processor.arn),
            record.at, record.record_id) for record, error in failed]
        return ok, documents

    def _invoke_once(self, account_id: str, region: str, arn: str, document: str,
                     records: list[Arrival]):
        """An Outcome, or ((errorCode, errorMessage), whether Firehose retries it)."""
        backend = dict.get(dict.get(lambda_backends, account_id) or {}, region)
        try:
            fn = backend.get_function(arn) if backend is not None else None
        except LambdaClientError:
            fn = None
        if fn is None or self.invoke is None:
            return transform.RESOURCE_NOT_FOUND, True
        from serverless_lab.cloud.awslambda.invoke_api import qualified_arn

        try:
            invocation = self.invoke(fn, document, qualified_arn=qualified_arn(fn, arn))
        except Throttled:
            return transform.INVOKE_LIMIT, True
        if invocation.error is not None or len(invocation.payload or "") > \
                transform.PAYLOAD_LIMIT:
            return transform.FUNCTION_ERROR, True
        outcome = transform.outcome_of(invocation.payload, records)
        if isinstance(outcome, transform.Outcome):
            return outcome
        return outcome, False  # an answer that breaks the status model is final

    def _deliver(self, key, buffer: Buffer, reason: str, stage: str = DELIVERY) -> None:
        account_id, _, name = key
        try:
            stream = _delivery_stream(key)
            destination = destination_of(stream) if stream else None
            if destination is None:
                return
            if stage == FAILED:
                data = b"".join(r.data for r in buffer.records)
                moment = datetime.fromtimestamp(buffer.oldest, UTC)
                object_name = object_key(
                    name=name, version=stream.version_id, prefix="", at=buffer.oldest,
                    random=uuid.uuid4, evaluated=error_prefix(
                        destination, moment, uuid.uuid4, transform.ERROR_OUTPUT_TYPE))
            else:
                data = records_joined(destination, [r.data for r in buffer.records])
                object_name = object_key(name=name, version=stream.version_id,
                                         prefix=destination.get("Prefix", ""),
                                         at=buffer.oldest, random=uuid.uuid4)
            if destination.get("CompressionFormat") == "GZIP":
                data = gzip.compress(data)
            bucket = destination["BucketARN"].split(":::", 1)[-1]
            s3 = self.accounts.service_sandbox(account_id).client("s3")
            document = {"deliveryStream": stream.delivery_stream_arn, "bucket": bucket,
                        "key": object_name, "records": len(buffer.records),
                        "bytes": len(data), "reason": reason}
            extra = {"error_output_type": transform.ERROR_OUTPUT_TYPE} \
                if stage == FAILED else {}
            try:
                s3.put_object(Bucket=bucket, Key=object_name, Body=data)
            except Exception as e:  # noqa: BLE001 - AWS keeps the data and retries
                self._requeue(key, buffer, stage)
                self.recorder.record(account_id, trace.DELIVERY, source=SOURCE, target=bucket,
                                     mode="async", batch_size=len(buffer.records),
                                     delivery_stream=name, error=str(e), event=document,
                                     **extra)
                return
            self.recorder.record(account_id, trace.DELIVERY, source=SOURCE, target=bucket,
                                 mode="async", batch_size=len(buffer.records),
                                 delivery_stream=name, key=object_name, event=document,
                                 **extra)
        finally:
            self.recorder.end(account_id)

    def _requeue(self, key, buffer: Buffer, stage: str) -> None:
        """A failed delivery's records go back in front of the buffer, tried again later
        (AWS retries an S3 delivery for up to 24 hours)."""
        with self._lock:
            current = self._buffers.setdefault((*key, stage), Buffer())
            current.records = buffer.records + current.records
            current.size += buffer.size
            current.first_at = buffer.first_at
            current.retry_at = self.clock.now(key[0]) + RETRY_AFTER_SECONDS


def _backend(account_id: str, region: str) -> FirehoseBackend | None:
    # dict.get: looking must not bring back the backend of a sandbox that was reset.
    return dict.get(dict.get(firehose_backends, account_id) or {}, region)


def _delivery_stream(key):
    backend = _backend(key[0], key[1])
    return backend.delivery_streams.get(key[2]) if backend else None


def _records_after(shard, after: int) -> list:
    """(sequence number, record) of the shard's records after `after`, oldest first: read
    from the end, so a once-a-second read costs what is new, not the whole shard."""
    while True:
        new = []
        try:
            for number in reversed(shard.records):
                if number <= after:
                    break
                new.append((number, shard.records[number]))
        except RuntimeError:  # a producer appended while this read: read again
            continue
        return new[::-1]


def _kinesis_metadata(shard_id: str, record) -> dict:
    """kinesisRecordMetadata of a record read from a Kinesis source, as in AWS's event."""
    arrival = int(round(record.created_at * 1000))
    return {"shardId": shard_id, "partitionKey": record.partition_key,
            "approximateArrivalTimestamp": arrival,
            "sequenceNumber": str(record.sequence_number), "subsequenceNumber": 0}


def _kinesis_stream(account_id: str, arn: str):
    region = arn.split(":")[3]
    backend = dict.get(dict.get(kinesis_backends, account_id) or {}, region)
    return backend.streams.get(arn.rsplit("/", 1)[-1]) if backend else None
