"""A stream mapping's records: where they come from (Kinesis shards and DynamoDB stream
shards, read as Lambda reads them: StartingPosition, the records after a checkpoint, filters),
the lane of a record when a mapping has a ParallelizationFactor, the parts of a batch in
flight, and how long a lane waits before it tries a failed part again.

Retries wait 0.1 s, doubling up to 2 s: AWS does not document its backoff, and lab time is
short. A throttled invocation waits 1 s and uses up no retry.
"""

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from moto.core.utils import unix_time
from moto.dynamodb.models import dynamodb_backends
from moto.kinesis.models import kinesis_backends

from . import filters as event_filters
from .sqs_poller import _existing
from .stream_events import (
    dynamodb_record,
    kinesis_record,
)


def is_stream_mapping(esm) -> bool:
    return esm.event_source_arn.split(":")[2] in ("kinesis", "dynamodb")


def parallelization(esm) -> int:
    """The mapping's ParallelizationFactor: how many lanes each shard has (default 1)."""
    return min(10, max(1, int_or(esm.parallelization_factor, 1)))


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


@dataclass
class Part:
    """Records of a batch still to be delivered, with how often they were tried."""

    records: list[Record]
    retries: int = 0
    invocations: int = 0
    window: object = None  # the tumbling_windows.Window the records belong to
    final: bool = False  # the window's final invocation (no records)


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


def matches(record: dict, patterns: list[dict]) -> bool:
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


def int_or(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


THROTTLE_BACKOFF_SECONDS = 1.0
RETRY_FIRST_DELAY_SECONDS = 0.1
RETRY_MAX_DELAY_SECONDS = 2.0


def retry_delay(retries: int) -> float:
    """The wait before a part's next try, after `retries` failed ones."""
    return min(RETRY_MAX_DELAY_SECONDS, RETRY_FIRST_DELAY_SECONDS * 2 ** (retries - 1))
