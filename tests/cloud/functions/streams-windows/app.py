"""Stream consumers for the ParallelizationFactor and tumbling window tests in
tests/cloud/test_stream_mappings.py."""

import base64
import os
import time

import boto3


def _data(record) -> str:
    return base64.b64decode(record["kinesis"]["data"]).decode()


def slow(event, context):
    """Log each record with its partition key and wait until two batches have started (the
    gate bucket in GATE_BUCKET), so that batches of one shard running at the same time
    overlap however slow the machine; batches that cannot run at once never get past."""
    for record in event["Records"]:
        print(f"RECORD {record['kinesis']['partitionKey']} {_data(record)}")
    _gate({"bucket": os.environ["GATE_BUCKET"], "prefix": "lanes", "parties": 2}, context)
    return {"records": len(event["Records"])}


def in_order(event, context):
    """Log each record with its partition key and take a while, so that batches that ran at
    once (which a resharded stream must never do) would overlap in the trace."""
    for record in event["Records"]:
        print(f"RECORD {record['kinesis']['partitionKey']} {_data(record)}")
    time.sleep(0.3)
    return {"records": len(event["Records"])}


def aggregate(event, context):
    """Sum the numbers of a tumbling window; at its end, store the total in the Totals table.
    "no-state" answers without a state (a failed invocation); "big" grows the state past
    1 MB."""
    print(f"WINDOW {event['window']['start']} final={event['isFinalInvokeForWindow']} "
          f"early={event['isWindowTerminatedEarly']} state={event['state']}")
    state = dict(event["state"])
    if event["isFinalInvokeForWindow"]:
        boto3.client("dynamodb").put_item(TableName=os.environ["TOTALS"], Item={
            "window": {"S": event["window"]["start"]},
            "total": {"N": str(state.get("total", 0))},
            "count": {"N": str(state.get("count", 0))},
            "early": {"BOOL": event["isWindowTerminatedEarly"]}})
        return {"state": {}}
    for record in event["Records"]:
        data = _data(record)
        if data == "no-state":
            return {"batchItemFailures": []}
        if data == "big":
            state["padding"] = "x" * (1024 * 1024)
            continue
        state["total"] = state.get("total", 0) + int(data)
        state["count"] = state.get("count", 0) + 1
    return {"state": state, "batchItemFailures": []}


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
