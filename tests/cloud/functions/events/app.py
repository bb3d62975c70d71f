"""Records every event it is given in a table, to prove deliveries reach it."""

import json
import os
import uuid

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    for record in event.get("Records", [event]):
        source = record.get("eventSource") or record.get("EventSource") or "direct"
        table.put_item(Item={"id": str(uuid.uuid4()), "source": source,
                             "record": json.dumps(record)[:2000]})
    return {"records": len(event.get("Records", [event]))}
