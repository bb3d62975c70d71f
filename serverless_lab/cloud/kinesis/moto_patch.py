"""Where moto's Kinesis, DynamoDB Streams and Lambda meet the lab's stream pollers
(awslambda/event_source_mapping/stream_mappings.py).

moto delivers stream records itself, synchronously inside the producer's write: Kinesis's
`Stream.put_record` walks `stream.lambda_event_source_mappings` and invokes once per record;
DynamoDB's `StreamShard.add` walks `table.lambda_event_source_mappings`, invokes with every
record it holds and then empties the shard (so sequence numbers start again). The lab wraps:
- `LambdaBackend.create_event_source_mapping` (the Lambda API and CloudFormation): refuse a
  ParallelizationFactor outside 1-10 or a TumblingWindowInSeconds outside 0-900 as Lambda
  does (moto takes any), take a new stream mapping off moto's stream or table, so writes have
  nobody to deliver to, and start its pollers; `update_...` (range checked too) and
  `delete_...`: start or stop them;
- `KinesisBackend.put_record` and `put_records`: wake the stream's pollers once the whole
  request is written, so one PutRecords call lands in one batch;
- `StreamShard.add`: skip a write that changes nothing (DynamoDB writes no stream record for
  it) and wake the table stream's pollers;
- Kinesis's `Stream.get_shard_for_key`: look among open shards only. moto's looks at every
  shard, so after a split or merge the closed parent, whose hash range covers its children's,
  kept taking the writes; on Kinesis a closed shard takes none;
- `Stream.split_shard` and `merge_shards` (UpdateShardCount uses them): the parents keep
  their records and the children start empty, as on Kinesis (moto empties a split parent
  and writes its records again through the key lookup, and copies merged parents' records
  into the child, so a consumer would read them twice or out of order).
The mapping calls wrap whatever is installed (sqs_moto's hooks among them), once.
These are moto internals: tests/cloud/test_stream_mappings.py fails loudly if they change.

Also patched for DynamoDB: `DynamoDBBackend.put_item`, `DynamoDBBackend.update_item` and
`DynamoDBBackend.transact_write_items` in quotas.py (a sandbox's stored-bytes quota;
tests/cloud/test_quotas.py).
"""

import functools
import inspect
from collections import OrderedDict
from types import SimpleNamespace

from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import LambdaBackend
from moto.dynamodb.models.table import StreamShard
from moto.kinesis.models import KinesisBackend, Stream

from serverless_lab.cloud.awslambda.event_source_mapping.stream_mappings import StreamMappings
from serverless_lab.cloud.awslambda.event_source_mapping.stream_records import (
    is_stream_mapping,
    stream_arn,
)

ORIGINALS = {
    "put_record": KinesisBackend.put_record,
    "put_records": KinesisBackend.put_records,
    "stream_add": StreamShard.add,
    "shard_for_key": Stream.get_shard_for_key,
    "split_shard": Stream.split_shard,
    "merge_shards": Stream.merge_shards,
}
EXPECTED_SIGNATURES = {
    "put_record": "(self, stream_arn: str, stream_name: str, partition_key: str, "
                  "explicit_hash_key: str, data: str) -> tuple[str, str]",
    "put_records": "(self, stream_arn: str, stream_name: str, "
                   "records: list[dict[str, typing.Any]]) -> dict[str, typing.Any]",
    "stream_add": "(self, old: moto.dynamodb.models.dynamo_type.Item | None, "
                  "new: moto.dynamodb.models.dynamo_type.Item | None) -> None",
    "shard_for_key": "(self, partition_key: str, explicit_hash_key: str) -> "
                     "moto.kinesis.models.Shard | None",
    "split_shard": "(self, shard_to_split: str, new_starting_hash_key: str) -> None",
    "merge_shards": "(self, shard_to_merge: str, adjacent_shard_to_merge: str) -> None",
}
RANGES = {"ParallelizationFactor": (1, 10), "TumblingWindowInSeconds": (0, 900)}
OUT_OF_RANGE = ("1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
                "constraint: Member must have value {bound}")
_installed: list[StreamMappings] = []  # the latest lab cloud's pollers get moto's mappings


def _latest() -> StreamMappings | None:
    return _installed[-1] if _installed else None


def _detach(backend: LambdaBackend, esm) -> None:
    """Take the mapping off the stream or table moto delivers from."""
    service = esm.event_source_arn.split(":")[2]
    if service == "kinesis":
        for stream in list(backend_kinesis(backend).streams.values()):
            if stream.arn == esm.event_source_arn:
                stream.lambda_event_source_mappings.pop(esm.event_source_arn, None)
    else:
        from moto.dynamodb.models import dynamodb_backends

        for table in list(dynamodb_backends[backend.account_id][backend.region_name]
                          .tables.values()):
            if table.stream_shard is not None and stream_arn(table) == esm.event_source_arn:
                table.lambda_event_source_mappings.pop(esm.function_arn, None)


def backend_kinesis(backend: LambdaBackend):
    from moto.kinesis.models import kinesis_backends

    return kinesis_backends[backend.account_id][backend.region_name]


def _after_create(self: LambdaBackend, esm, spec) -> None:
    if esm is not None and is_stream_mapping(esm):
        _detach(self, esm)
        if mappings := _latest():
            mappings.mapping_changed(esm)


def _after_update(self: LambdaBackend, esm, uuid, spec) -> None:
    if esm is not None and is_stream_mapping(esm) and (mappings := _latest()):
        mappings.mapping_changed(esm)


def _after_delete(self: LambdaBackend, esm, uuid) -> None:
    if mappings := _latest():
        mappings.mapping_deleted(uuid)


def _check_ranges(spec: dict) -> None:
    """Lambda's own check of the stream settings moto stores without looking."""
    for name, (low, high) in RANGES.items():
        if spec.get(name) is None:
            continue
        value = int(spec[name])
        if value < low or value > high:
            bound = (f"greater than or equal to {low}" if value < low
                     else f"less than or equal to {high}")
            raise LambdaClientError("ValidationException", OUT_OF_RANGE.format(
                value=value, field=name[0].lower() + name[1:], bound=bound))


def _checked(current, position: int):
    """`current` after a range check of its spec (argument `position`); never wrapped
    twice."""
    if getattr(current, "_lab_stream_ranges", False):
        return current

    @functools.wraps(current)
    def wrapper(self, *args, **kwargs):
        _check_ranges(args[position] if len(args) > position else kwargs.get("spec") or {})
        return current(self, *args, **kwargs)

    wrapper._lab_stream_ranges = True
    return wrapper


def _wrapped(current, after):
    """`current` followed by `after(self, result, *args)`; never wrapped twice."""
    if getattr(current, "_lab_streams", False):
        return current

    @functools.wraps(current)
    def wrapper(self, *args, **kwargs):
        result = current(self, *args, **kwargs)
        after(self, result, *args, **kwargs)
        return result

    wrapper._lab_streams = True
    return wrapper


def _put_record(self: KinesisBackend, stream_arn, stream_name, *args, **kwargs):
    result = ORIGINALS["put_record"](self, stream_arn, stream_name, *args, **kwargs)
    _announce(self, stream_arn, stream_name)
    return result


def _put_records(self: KinesisBackend, stream_arn, stream_name, records):
    result = ORIGINALS["put_records"](self, stream_arn, stream_name, records)
    _announce(self, stream_arn, stream_name)
    return result


def _announce(backend: KinesisBackend, arn, name) -> None:
    if mappings := _latest():
        stream = backend.describe_stream(stream_arn=arn, stream_name=name)
        mappings.records_added(stream.arn)


def _stream_add(self: StreamShard, old, new) -> None:
    if old is not None and new is not None and old.to_json() == new.to_json():
        return  # DynamoDB writes no stream record for a write that changes nothing
    ORIGINALS["stream_add"](self, old, new)
    if mappings := _latest():
        mappings.records_added(stream_arn(self.table))


@functools.wraps(ORIGINALS["shard_for_key"])
def _open_shard_for_key(self, partition_key: str, explicit_hash_key: str):
    """moto's lookup (its checks of the key included), shown the open shards only: it reads
    nothing of the stream but `shards`, and the stream itself stays as pollers see it."""
    open_only = SimpleNamespace(shards={k: v for k, v in self.shards.items() if v.is_open})
    return ORIGINALS["shard_for_key"](open_only, partition_key, explicit_hash_key)


def _records_stay(original):
    @functools.wraps(original)
    def reshard(self, *args, **kwargs):
        kept = {shard_id: shard.records for shard_id, shard in self.shards.items()}
        original(self, *args, **kwargs)
        for shard_id, shard in self.shards.items():
            shard.records = kept.get(shard_id, OrderedDict())
    return reshard


def install(mappings: StreamMappings) -> None:
    """Route moto's Kinesis and DynamoDB Streams mappings to these pollers (moto's backends
    are per process: the latest lab cloud installed gets them, until it is uninstalled)."""
    _installed.append(mappings)
    LambdaBackend.create_event_source_mapping = _checked(_wrapped(
        LambdaBackend.create_event_source_mapping, _after_create), 0)
    LambdaBackend.update_event_source_mapping = _checked(_wrapped(
        LambdaBackend.update_event_source_mapping, _after_update), 1)
    LambdaBackend.delete_event_source_mapping = _wrapped(
        LambdaBackend.delete_event_source_mapping, _after_delete)
    KinesisBackend.put_record = _put_record
    KinesisBackend.put_records = _put_records
    StreamShard.add = _stream_add
    Stream.get_shard_for_key = _open_shard_for_key
    Stream.split_shard = _records_stay(ORIGINALS["split_shard"])
    Stream.merge_shards = _records_stay(ORIGINALS["merge_shards"])


def uninstall(mappings: StreamMappings) -> None:
    if mappings in _installed:
        _installed.remove(mappings)


def signatures_match() -> bool:
    return all(str(inspect.signature(ORIGINALS[k])) == v for k, v in EXPECTED_SIGNATURES.items())
