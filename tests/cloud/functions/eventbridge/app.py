"""Keeps each event it is given (the whole document) in a table, so a test can read it back.
An event whose detail has `gate` first waits at the test's gate (tests/cloud/conftest.py)."""

import json
import os
import time
import uuid

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    detail = event.get("detail") if isinstance(event, dict) else None
    if isinstance(detail, dict) and detail.get("gate"):
        _gate(detail["gate"], context)
    table.put_item(Item={"id": str(uuid.uuid4()), "event": json.dumps(event)})
    return {"kept": True}


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
