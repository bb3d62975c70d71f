"""Amazon Data Firehose in the learner's account: delivery to S3 with AWS's buffering.

moto keeps delivery streams, but writes each PutRecord and PutRecordBatch call straight to S3
as its own object and never reads a Kinesis source. The lab replaces
`FirehoseBackend.put_record_batch` (moto's PutRecord goes through it too) and wraps
CreateDeliveryStream and DeleteDeliveryStream:

- CreateDeliveryStream checks what Firehose checks (buffering hints given in pairs and in
  range, the bucket and the source stream exist, prefix rules: firehose_config.py) and fills in
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

Quiet: a sandbox whose buffers only wait for their interval is quiet. On AWS that wait is
minutes of nothing happening; a run must not sit through it, and cannot end it either
(only time, or a clock advance, does). In flight are: a delivery being written, and records
on a Kinesis source the reader has not read yet (at most a second).
"""

import base64
import gzip
import inspect
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from moto.firehose.exceptions import InvalidArgumentException, ResourceNotFoundException
from moto.firehose.models import FirehoseBackend, firehose_backends
from moto.kinesis.models import kinesis_backends

from . import trace
from .firehose_config import (
    NOT_PERMITTED_ON_KINESIS_SOURCE,
    checked_config,
    destination_of,
    object_key,
    records_joined,
)

SOURCE = "aws:firehose"
MIB = 1024 * 1024
READ_EVERY_SECONDS = 1.0  # Firehose calls GetRecords once per second per shard
RETRY_AFTER_SECONDS = 60.0  # a failed delivery is tried again after this much lab time
ORIGINAL = {"create": FirehoseBackend.create_delivery_stream,
            "delete": FirehoseBackend.delete_delivery_stream,
            "put_record_batch": FirehoseBackend.put_record_batch}
EXPECTED_SIGNATURES = {
    "create": "(self, region: str, delivery_stream_name: str, delivery_stream_type: str, "
              "kinesis_stream_source_configuration: dict[str, typing.Any], "
              "delivery_stream_encryption_configuration_input: dict[str, typing.Any], "
              "s3_destination_configuration: dict[str, typing.Any], "
              "extended_s3_destination_configuration: dict[str, typing.Any], "
              "redshift_destination_configuration: dict[str, typing.Any], "
              "elasticsearch_destination_configuration: dict[str, typing.Any], "
              "splunk_destination_configuration: dict[str, typing.Any], "
              "http_endpoint_destination_configuration: dict[str, typing.Any], "
              "snowflake_destination_configuration: dict[str, typing.Any], "
              "iceberg_destination_configuration: dict[str, typing.Any], "
              "tags: list[dict[str, str]]) -> str",
    "delete": "(self, delivery_stream_name: str) -> None",
    "put_record_batch": "(self, delivery_stream_name: str, records: list[dict[str, bytes]]) "
                        "-> dict[str, typing.Any]",
}


@dataclass
class Buffer:
    records: list[bytes] = field(default_factory=list)
    size: int = 0
    first_at: float = 0.0  # lab time the oldest record arrived
    retry_at: float = 0.0  # after a failed delivery, not before this lab time


@dataclass
class Reader:
    """Where a Kinesis-sourced delivery stream is in each shard of its stream."""
    stream_arn: str
    positions: dict[str, int] = field(default_factory=dict)  # shard id -> last sequence read


class Firehose:
    """Every sandbox's delivery streams: their buffers, their Kinesis readers, deliveries."""

    def __init__(self, *, recorder: trace.Recorder, clock, accounts):
        self.recorder = recorder
        self.clock = clock
        self.accounts = accounts
        self._lock = threading.RLock()
        self._buffers: dict[tuple[str, str, str], Buffer] = {}
        self._readers: dict[tuple[str, str, str], Reader] = {}
        self._streams: set[tuple[str, str, str]] = set()  # (account, region, name)
        self.executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lab-firehose")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lab-firehose", daemon=True)
        recorder.add_busy_check(self.unread)
        clock.move_listeners.append(self.clock_moved)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self.clock_moved in self.clock.move_listeners:
            self.clock.move_listeners.remove(self.clock_moved)
        uninstall(self)
        self.executor.shutdown(wait=False, cancel_futures=True)

    # -- the API hooks ------------------------------------------------------------------------

    def created(self, backend: FirehoseBackend, name: str) -> None:
        key = (backend.account_id, backend.region_name, name)
        stream = backend.delivery_streams[name]
        with self._lock:
            self._streams.add(key)
            self._buffers.pop(key, None)
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
            self._buffers.pop(key, None)
            self._readers.pop(key, None)

    def put(self, backend: FirehoseBackend, name: str, records: list[bytes]) -> None:
        """Records into the delivery stream's buffer (PutRecord, PutRecordBatch, a source)."""
        key = (backend.account_id, backend.region_name, name)
        now = self.clock.now(backend.account_id)
        with self._lock:
            self._streams.add(key)
            buffer = self._buffers.setdefault(key, Buffer())
            if not buffer.records:
                buffer.first_at = now
            buffer.records += records
            buffer.size += sum(len(r) for r in records)
        self._deliver_due(key, now)

    # -- time passing -------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.wait(READ_EVERY_SECONDS):
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - one bad stream must not stop the others
                import traceback

                traceback.print_exc()

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
            self._buffers.pop(key, None)
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
            after = reader.positions.get(shard_id, 0)
            new = [(n, r) for n, r in list(shard.records.items()) if n > after]
            if new:
                reader.positions[shard_id] = new[-1][0]
                read += [base64.b64decode(r.data) for _, r in new]
        if read:
            backend = _backend(key[0], key[1])
            if backend is not None:
                self.put(backend, key[2], read)

    def _deliver_due(self, key, now: float) -> None:
        stream = _delivery_stream(key)
        if stream is None:
            return
        destination = destination_of(stream)
        if destination is None:
            return
        hints = destination.get("BufferingHints") or {}
        with self._lock:
            buffer = self._buffers.get(key)
            if buffer is None or not buffer.records or now < buffer.retry_at:
                return
            if buffer.size >= int(hints.get("SizeInMBs", 5)) * MIB:
                reason = "size"
            elif now >= buffer.first_at + int(hints.get("IntervalInSeconds", 300)):
                reason = "interval"
            else:
                return
            self._buffers[key] = Buffer()
        self.recorder.begin(key[0])
        try:
            self.executor.submit(self._deliver, key, buffer, reason)
        except RuntimeError:  # shutting down
            self.recorder.end(key[0])

    def _deliver(self, key, buffer: Buffer, reason: str) -> None:
        account_id, _, name = key
        try:
            stream = _delivery_stream(key)
            destination = destination_of(stream) if stream else None
            if destination is None:
                return
            data = records_joined(destination, buffer.records)
            if destination.get("CompressionFormat") == "GZIP":
                data = gzip.compress(data)
            bucket = destination["BucketARN"].split(":::", 1)[-1]
            object_name = object_key(name=name, version=stream.version_id,
                                     prefix=destination.get("Prefix", ""),
                                     at=buffer.first_at, random=uuid.uuid4)
            s3 = self.accounts.service_sandbox(account_id).client("s3")
            document = {"deliveryStream": stream.delivery_stream_arn, "bucket": bucket,
                        "key": object_name, "records": len(buffer.records),
                        "bytes": len(data), "reason": reason}
            try:
                s3.put_object(Bucket=bucket, Key=object_name, Body=data)
            except Exception as e:  # noqa: BLE001 - AWS keeps the data and retries
                self._requeue(key, buffer)
                self.recorder.record(account_id, trace.DELIVERY, source=SOURCE, target=bucket,
                                     mode="async", batch_size=len(buffer.records),
                                     delivery_stream=name, error=str(e), event=document)
                return
            self.recorder.record(account_id, trace.DELIVERY, source=SOURCE, target=bucket,
                                 mode="async", batch_size=len(buffer.records),
                                 delivery_stream=name, key=object_name, event=document)
        finally:
            self.recorder.end(account_id)

    def _requeue(self, key, buffer: Buffer) -> None:
        """A failed delivery's records go back in front of the buffer, tried again later
        (AWS retries an S3 delivery for up to 24 hours)."""
        with self._lock:
            current = self._buffers.setdefault(key, Buffer())
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


def _kinesis_stream(account_id: str, arn: str):
    region = arn.split(":")[3]
    backend = dict.get(dict.get(kinesis_backends, account_id) or {}, region)
    return backend.streams.get(arn.rsplit("/", 1)[-1]) if backend else None


# -- moto's hooks: process-wide, serving the latest lab cloud still running ----------------------

_installed: list[Firehose] = []


def _firehose() -> Firehose | None:
    return _installed[-1] if _installed else None


def install(firehose: Firehose) -> None:
    _installed.append(firehose)
    FirehoseBackend.create_delivery_stream = _create
    FirehoseBackend.delete_delivery_stream = _delete
    FirehoseBackend.put_record_batch = _put_record_batch


def uninstall(firehose: Firehose) -> None:
    if firehose in _installed:
        _installed.remove(firehose)


def signatures_match() -> bool:
    return all(str(inspect.signature(ORIGINAL[k])) == v for k, v in EXPECTED_SIGNATURES.items())


def _create(self: FirehoseBackend, *args, **kwargs) -> str:
    arguments = inspect.signature(ORIGINAL["create"]).bind(self, *args, **kwargs).arguments
    checked_config(self.account_id, arguments)  # raises AWS's error; changes nothing
    arn = ORIGINAL["create"](**arguments)
    if firehose := _firehose():
        firehose.created(self, arguments["delivery_stream_name"])
    return arn


def _delete(self: FirehoseBackend, delivery_stream_name: str) -> None:
    ORIGINAL["delete"](self, delivery_stream_name)
    if firehose := _firehose():
        firehose.deleted(self, delivery_stream_name)


def _put_record_batch(self: FirehoseBackend, delivery_stream_name: str, records):
    stream = self.delivery_streams.get(delivery_stream_name)
    firehose = _firehose()
    if stream is None:
        raise ResourceNotFoundException(
            f"Firehose {delivery_stream_name} under account {self.account_id} not found.")
    if stream.delivery_stream_type == "KinesisStreamAsSource":
        raise InvalidArgumentException(NOT_PERMITTED_ON_KINESIS_SOURCE)
    if firehose is None or destination_of(stream) is None:
        return ORIGINAL["put_record_batch"](self, delivery_stream_name, records)
    data = [r["Data"] if isinstance(r["Data"], bytes) else base64.b64decode(r["Data"])
            for r in records]
    firehose.put(self, delivery_stream_name, data)
    return {"FailedPutCount": 0, "Encrypted": False,
            "RequestResponses": [{"RecordId": _record_id()} for _ in records]}


def _record_id() -> str:
    """An opaque id per record, as long as the ones Firehose gives."""
    return (uuid.uuid4().hex + uuid.uuid4().hex + uuid.uuid4().hex + uuid.uuid4().hex)[:112]


__all__ = ["Firehose", "install", "signatures_match", "uninstall"]
