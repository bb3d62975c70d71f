"""Nightly cleanup: delete the sessions whose expires_at has passed, then report what went.

EventBridge invokes this function asynchronously with its "Scheduled Event": detail-type
"Scheduled Event", source "aws.events", and `time`, the moment the run was scheduled for.
That time, not the clock, is the cut-off: a run that starts late (a retry, a throttle) or
twice (EventBridge delivers at least once) deletes the same sessions and writes the same
report key. Each delete is conditional, so a session whose expiry was extended after the scan
is left alone.
"""

import json
import os
from datetime import UTC, datetime

import boto3
from boto3.dynamodb.conditions import Attr
from botocore.exceptions import ClientError

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
s3 = boto3.client("s3")
BUCKET = os.environ["BUCKET_NAME"]


def handler(event, context):
    scheduled = event.get("time") or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    cutoff = int(datetime.fromisoformat(scheduled.replace("Z", "+00:00")).timestamp())

    deleted = []
    for item in expired_sessions(cutoff):
        try:
            table.delete_item(Key={"id": item["id"]},
                              ConditionExpression="expires_at <= :cutoff",
                              ExpressionAttributeValues={":cutoff": cutoff})
            deleted.append(item["id"])
        except ClientError as e:
            if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise  # a real failure: Lambda retries the whole (idempotent) run

    report = {"scheduled_time": scheduled, "cutoff_epoch": cutoff, "deleted": len(deleted),
              "deleted_ids": sorted(deleted), "request_id": context.aws_request_id}
    key = f"reports/{scheduled[:10]}.json"  # one report per night, overwritten by a re-run
    body = json.dumps(report, indent=2).encode()
    s3.put_object(Bucket=BUCKET, Key=key, Body=body, ContentType="application/json")
    s3.put_object(Bucket=BUCKET, Key="reports/latest.json", Body=body,
                  ContentType="application/json")
    print(json.dumps({"message": f"cleanup for {scheduled}: deleted {len(deleted)} expired "
                                f"session(s)", "scheduled_time": scheduled,
                      "deleted": len(deleted), "report": key}))
    return {"deleted": len(deleted), "report": key}


def expired_sessions(cutoff: int):
    """Every session with expires_at <= cutoff. A Scan reads the whole table, page by page,
    and filters afterwards: fine for a small table, costly for a big one (see the page)."""
    kwargs = {"FilterExpression": Attr("expires_at").lte(cutoff),
              "ProjectionExpression": "id, expires_at"}
    while True:
        page = table.scan(**kwargs)
        yield from page["Items"]
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
