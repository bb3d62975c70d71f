"""The events Lambda's stream pollers send a function, and what they send an on-failure
destination, key for key as AWS documents them.

- Kinesis (with-kinesis.html): kinesis{kinesisSchemaVersion, partitionKey, sequenceNumber,
  data (base64), approximateArrivalTimestamp}, eventSource, eventVersion, eventID
  ("<shardId>:<sequenceNumber>"), eventName "aws:kinesis:record", invokeIdentityArn (the
  function's role), awsRegion, eventSourceARN.
- DynamoDB Streams (with-ddb.html): eventID, eventName (INSERT, MODIFY, REMOVE), eventVersion,
  eventSource, awsRegion, dynamodb{ApproximateCreationDateTime (epoch seconds, rounded down),
  Keys, NewImage and OldImage as the StreamViewType keeps them, SequenceNumber, SizeBytes,
  StreamViewType}, eventSourceARN.
- The on-failure record (kinesis-on-failure-destination.html, services-dynamodb-errors.html):
  requestContext, responseContext, version, timestamp and KinesisBatchInfo or
  DDBStreamBatchInfo, which describe the batch (shard, first and last sequence numbers,
  arrival times, size, stream) but do not contain it; an S3 destination also gets the batch
  itself, under `payload`.
- With a tumbling window (services-kinesis-windows.html, services-ddb-windows.html) the event
  also has window{start, end}, state, shardId, eventSourceARN, isFinalInvokeForWindow and
  isWindowTerminatedEarly, and the function must answer with a `state` object
  (TimeWindowEventResponse: {"state": {...}, "batchItemFailures": [...]}).
"""

import json
from datetime import UTC, datetime

from .sqs_events import failed_message_ids

REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"
RETRIES_EXHAUSTED = "RetryAttemptsExhausted"
RECORD_AGE_EXCEEDED = "RecordAgeExceeded"


def kinesis_record(record, *, shard_id: str, stream_arn: str, region: str, role: str) -> dict:
    """One moto Kinesis record as Lambda puts it in an event (data stays base64)."""
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": record.partition_key,
            "sequenceNumber": str(record.sequence_number),
            "data": record.data,
            "approximateArrivalTimestamp": round(record.created_at, 3),
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{record.sequence_number}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": role,
        "awsRegion": region,
        "eventSourceARN": stream_arn,
    }


def dynamodb_record(stream_record: dict, *, created_at: float, stream_arn: str,
                    region: str) -> dict:
    """One moto stream record (StreamRecord.to_json()) as Lambda puts it in an event. moto
    names every Region us-east-1 and keeps the time as a datetime; AWS's event has the
    Region of the table and epoch seconds rounded down."""
    change = stream_record["dynamodb"]
    dynamodb = {"ApproximateCreationDateTime": float(int(created_at)), "Keys": change["Keys"]}
    for image in ("NewImage", "OldImage"):
        if image in change:
            dynamodb[image] = change[image]
    dynamodb.update(SequenceNumber=change["SequenceNumber"], SizeBytes=change["SizeBytes"],
                    StreamViewType=change["StreamViewType"])
    return {
        "eventID": stream_record["eventID"],
        "eventName": stream_record["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }


def sequence_number(record: dict) -> str:
    if "kinesis" in record:
        return record["kinesis"]["sequenceNumber"]
    return record["dynamodb"]["SequenceNumber"]


def record_key(record: dict) -> str:
    """What Lambda keeps in order with ParallelizationFactor above 1: a Kinesis record's
    partition key, a DynamoDB stream record's item key."""
    if "kinesis" in record:
        return record["kinesis"]["partitionKey"]
    return json.dumps(record["dynamodb"]["Keys"], sort_keys=True)


def window_event(records: list[dict], *, start: float, end: float, state: dict,
                 shard_id: str, stream_arn: str, final: bool, terminated_early: bool) -> dict:
    """The event of a tumbling window's invocation (KinesisTimeWindowEvent,
    DynamodbTimeWindowEvent): the records, the window, the state the function returned last in
    it, and whether this is the window's final invocation."""
    return {
        "Records": records,
        "window": {"start": _iso(start, millis=False), "end": _iso(end, millis=False)},
        "state": state,
        "shardId": shard_id,
        "eventSourceARN": stream_arn,
        "isFinalInvokeForWindow": final,
        "isWindowTerminatedEarly": terminated_early,
    }


def window_state(payload: str | None) -> dict | None:
    """The `state` a tumbling window's invocation answered, or None: an answer without a
    state object counts as a failed invocation."""
    try:
        answer = json.loads(payload) if payload else None
    except ValueError:
        return None
    state = answer.get("state") if isinstance(answer, dict) else None
    return state if isinstance(state, dict) else None


def first_failure(payload: str | None, sequence_numbers: list[str]) -> int | None:
    """Where a `ReportBatchItemFailures` answer puts the checkpoint: the index in the batch
    of the lowest sequence number reported (Lambda retries from there), or None if the batch
    succeeded. AWS treats an empty or null answer or batchItemFailures as success, and an
    empty, null or misnamed itemIdentifier, or one that is not in the batch, as a complete
    failure (index 0)."""
    failed = failed_message_ids(payload, sequence_numbers)
    if not failed:
        return None
    return min(i for i, number in enumerate(sequence_numbers) if number in failed)


def _iso(epoch: float, *, millis: bool) -> str:
    moment = datetime.fromtimestamp(epoch, UTC)
    if millis:
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def on_failure_record(*, records: list[dict], arrivals: list[float], shard_id: str,
                      stream_arn: str, function_arn: str, condition: str, request_id: str,
                      invoke_count: int, function_error: bool) -> dict:
    """The JSON document Lambda sends an on-failure destination for a batch it gave up on."""
    kinesis = stream_arn.split(":")[2] == "kinesis"
    numbers = [sequence_number(r) for r in records]
    response = {"statusCode": 200, "executedVersion": "$LATEST"}
    if function_error:
        response["functionError"] = "Unhandled"
    info = {"shardId": shard_id, "startSequenceNumber": numbers[0],
            "endSequenceNumber": numbers[-1],
            "approximateArrivalOfFirstRecord": _iso(arrivals[0], millis=kinesis),
            "approximateArrivalOfLastRecord": _iso(arrivals[-1], millis=kinesis),
            "batchSize": len(records), "streamArn": stream_arn}
    return {
        "requestContext": {"requestId": request_id, "functionArn": function_arn,
                           "condition": condition, "approximateInvokeCount": invoke_count},
        "responseContext": response,
        "version": "1.0",
        "timestamp": _iso(datetime.now(UTC).timestamp(), millis=True),
        "KinesisBatchInfo" if kinesis else "DDBStreamBatchInfo": info,
    }


def s3_failure_key(*, mapping_uuid: str, shard_id: str, request_id: str) -> str:
    """aws/lambda/<ESM-UUID>/<shardID>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<random UUID>."""
    now = datetime.now(UTC)
    return (f"aws/lambda/{mapping_uuid}/{shard_id}/{now:%Y/%m/%d}/"
            f"{now:%Y-%m-%dT%H.%M.%S}-{request_id}")


def with_payload(record: dict, event: dict) -> str:
    """An S3 destination's object: the on-failure record and the batch it describes."""
    return json.dumps({**record, "payload": json.dumps(event)})
