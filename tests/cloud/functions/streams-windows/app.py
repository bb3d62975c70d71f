"""Stream consumers for the ParallelizationFactor and tumbling window tests in
tests/cloud/test_stream_mappings.py."""

import base64
import os
import time

import boto3


def _data(record) -> str:
    return base64.b64decode(record["kinesis"]["data"]).decode()


def slow(event, context):
    """Log each record with its partition key and take a while, so that batches of one shard
    running at the same time overlap."""
    for record in event["Records"]:
        print(f"RECORD {record['kinesis']['partitionKey']} {_data(record)}")
    time.sleep(0.6)
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
