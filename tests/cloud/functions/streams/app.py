"""Stream consumers for tests/cloud/test_stream_mappings.py. Each logs one line per record it
is given, so a test can read from the trace which records each invocation carried."""

import base64
import json
import time


def _data(record) -> str:
    return base64.b64decode(record["kinesis"]["data"]).decode()


def collect(event, context):
    """Log each record; fail the whole batch if any record is poison. A record whose data
    is "poison <gate as JSON>" first waits at the test's gate."""
    for record in event["Records"]:
        print(f"RECORD {_data(record)}")
    for record in event["Records"]:
        if _data(record).startswith("poison {"):
            _gate(json.loads(_data(record).split(" ", 1)[1]), context)
    for record in event["Records"]:
        if "poison" in _data(record):
            raise ValueError(f"poison record {record['kinesis']['sequenceNumber']}")
    return {"records": len(event["Records"])}


def report_failures(event, context):
    """Report the records whose data says so: "bad" ones by sequence number (highest first,
    so the lab must find the lowest), "invalid" with an identifier that is not in the batch,
    "empty" with an empty list."""
    failures = []
    for record in event["Records"]:
        data, number = _data(record), record["kinesis"]["sequenceNumber"]
        print(f"RECORD {data}")
        if "bad" in data:
            failures.insert(0, {"itemIdentifier": number})
        elif "invalid" in data:
            failures.append({"itemIdentifier": "not-a-sequence-number"})
    return {"batchItemFailures": failures}


def always_fail(event, context):
    raise RuntimeError("this consumer never succeeds")


def changes(event, context):
    """Log each DynamoDB stream record whole; fail if a new image is poison."""
    for record in event["Records"]:
        print("CHANGE " + json.dumps(record, sort_keys=True))
    for record in event["Records"]:
        if "poison" in record["dynamodb"].get("NewImage", {}):
            raise ValueError("poison item")


def _gate(gate: dict, context) -> None:
    """Wait at the test's gate (tests/cloud/conftest.py `gate`): leave a started marker, then
    wait until the test opens it or `parties` invocations have started; raise if neither
    happens before the function's timeout is near, so the test sees it."""
    import boto3

    s3, bucket, prefix = boto3.client("s3"), gate["bucket"], gate["prefix"]
    s3.put_object(Bucket=bucket, Key=f"{prefix}/started/{context.aws_request_id}", Body=b"")
    while context.get_remaining_time_in_millis() > 1500:
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
                .get("Contents", [])]
        started = sum(k.startswith(f"{prefix}/started/") for k in keys)
        if f"{prefix}/open" in keys or 0 < gate.get("parties", 0) <= started:
            return
        time.sleep(0.05)
    raise RuntimeError("the test's gate did not open")
