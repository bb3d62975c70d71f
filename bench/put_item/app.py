"""The benchmark's handler: one DynamoDB put, like the smallest useful Lambda."""

import os
import uuid

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    table.put_item(Item={"id": str(uuid.uuid4()), "n": event.get("n", 0)})
    return {"ok": True}
