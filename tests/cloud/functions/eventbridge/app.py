"""Keeps each event it is given (the whole document) in a table, so a test can read it back.
An event whose detail has `sleep` (seconds) keeps the invocation busy that long first."""

import json
import os
import time
import uuid

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    detail = event.get("detail") if isinstance(event, dict) else None
    if isinstance(detail, dict) and detail.get("sleep"):
        time.sleep(float(detail["sleep"]))
    table.put_item(Item={"id": str(uuid.uuid4()), "event": json.dumps(event)})
    return {"kept": True}
