"""Nightly cleanup: delete the sessions nobody has used for `retention_days`, then report.

EventBridge invokes this function asynchronously at 02:00 UTC; `time` in its event is the
moment the run was scheduled for, and the cut-off is counted back from it.
"""

import json
import os
from datetime import UTC, datetime

import boto3
from boto3.dynamodb.conditions import Attr

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
s3 = boto3.client("s3")
BUCKET = os.environ["BUCKET_NAME"]


def handler(event, context):
    retention_days = int(event["retention_days"])
    scheduled = event.get("time") or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    now = int(datetime.fromisoformat(scheduled.replace("Z", "+00:00")).timestamp())
    cutoff = now - retention_days * 86400

    deleted = []
    for item in stale_sessions(cutoff):
        table.delete_item(Key={"id": item["id"]})
        deleted.append(item["id"])

    key = f"reports/{scheduled[:10]}.json"
    s3.put_object(Bucket=BUCKET, Key=key, ContentType="application/json",
                  Body=json.dumps({"scheduled_time": scheduled, "retention_days": retention_days,
                                   "deleted_ids": sorted(deleted)}).encode())
    print(json.dumps({"message": f"deleted {len(deleted)} stale session(s)", "report": key}))
    return {"deleted": len(deleted), "report": key}


def stale_sessions(cutoff: int):
    kwargs = {"FilterExpression": Attr("last_seen_at").lte(cutoff),
              "ProjectionExpression": "id"}
    while True:
        page = table.scan(**kwargs)
        yield from page["Items"]
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
