"""Nightly cleanup: delete the sessions whose expires_at has passed, then report what went.

EventBridge invokes this function asynchronously with its "Scheduled Event"; `time`, the
moment the run was scheduled for, is the cut-off. The sessions table is shared: the login
service writes it too, and its items are read as they come (a Scan, compared here).
"""

import json
import os
from datetime import UTC, datetime

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
s3 = boto3.client("s3")
BUCKET = os.environ["BUCKET_NAME"]


def handler(event, context):
    scheduled = event.get("time") or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    cutoff = int(datetime.fromisoformat(scheduled.replace("Z", "+00:00")).timestamp())

    deleted = []
    for item in all_sessions():
        # expires_at is epoch seconds. An item that holds anything else raises here, and the
        # whole run fails: Lambda retries it, and the same item fails it again.
        if int(item["expires_at"]) <= cutoff:
            table.delete_item(Key={"id": item["id"]})
            deleted.append(item["id"])

    report = {"scheduled_time": scheduled, "deleted": len(deleted), "deleted_ids": sorted(deleted)}
    key = f"reports/{scheduled[:10]}.json"
    s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(report, indent=2).encode(),
                  ContentType="application/json")
    print(json.dumps({"message": f"cleanup for {scheduled}: deleted {len(deleted)} expired "
                                f"session(s)", "report": key}))
    return {"deleted": len(deleted), "report": key}


def all_sessions():
    kwargs = {"ProjectionExpression": "id, expires_at"}
    while True:
        page = table.scan(**kwargs)
        yield from page["Items"]
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
