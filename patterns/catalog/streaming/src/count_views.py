"""PageViewStream -> views per page in DynamoDB, each view counted once.

Lambda's event source mapping reads each shard in order and invokes this function with a
batch of records (base64 data, partition key, sequence number). Two things shape the code:

- Kinesis delivers at least once. A producer that retries PutRecords after a timeout writes
  the same view again, and a mapping that retries a batch replays records already counted.
  So each view carries an id, and the count goes up in a DynamoDB transaction only if that id
  has not been counted before.
- One unreadable record must not stop the shard. A record that cannot be parsed is copied
  to the quarantine bucket and skipped; only a failure worth retrying (DynamoDB unavailable)
  is reported back to Lambda, which then retries from that record on.
"""

import base64
import binascii
import json
import logging
import os
import time

import boto3
from botocore.exceptions import ClientError

logger = logging.getLogger()
logger.setLevel(logging.INFO)

dynamodb = boto3.client("dynamodb")
s3 = boto3.client("s3")
VIEWS_TABLE = os.environ["VIEWS_TABLE"]
COUNTED_TABLE = os.environ["COUNTED_TABLE"]
QUARANTINE_BUCKET = os.environ["QUARANTINE_BUCKET"]
REMEMBER_SECONDS = 7 * 24 * 3600  # longer than the stream keeps records


class MalformedRecord(ValueError):
    pass


def handler(event, context):
    counted = skipped = duplicates = 0
    for record in event["Records"]:
        kinesis = record["kinesis"]
        try:
            view = parse(kinesis["data"])
        except MalformedRecord as e:
            quarantine(record, reason=str(e))
            skipped += 1
            continue
        try:
            if count_once(view):
                counted += 1
            else:
                duplicates += 1
        except ClientError:
            # Worth retrying: report this record, and Lambda retries the shard from here
            # (records after it in the batch come again too, which count_once makes safe).
            logger.exception("Could not count view %s", view["view_id"])
            return {"batchItemFailures": [{"itemIdentifier": kinesis["sequenceNumber"]}]}
    logger.info("Batch of %d: %d counted, %d duplicates, %d quarantined",
                len(event["Records"]), counted, duplicates, skipped)
    return {"batchItemFailures": []}


def parse(data: str) -> dict:
    try:
        view = json.loads(base64.b64decode(data, validate=True))
    except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise MalformedRecord(f"not JSON: {e}") from None
    if not isinstance(view, dict):
        raise MalformedRecord("not a JSON object")
    page, view_id = view.get("page"), view.get("view_id")
    if not isinstance(page, str) or not page.startswith("/"):
        raise MalformedRecord("'page' must be a path such as /home")
    if not isinstance(view_id, str) or not view_id:
        raise MalformedRecord("'view_id' is missing")
    return view


def count_once(view: dict) -> bool:
    """Add one view to its page unless this view id was counted before; True if added."""
    try:
        dynamodb.transact_write_items(TransactItems=[
            {"Put": {"TableName": COUNTED_TABLE,
                     "Item": {"view_id": {"S": view["view_id"]},
                              "expires_at": {"N": str(int(time.time()) + REMEMBER_SECONDS)}},
                     "ConditionExpression": "attribute_not_exists(view_id)"}},
            {"Update": {"TableName": VIEWS_TABLE,
                        "Key": {"page": {"S": view["page"]}},
                        "UpdateExpression": "ADD view_count :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        ])
    except ClientError as e:
        reasons = e.response.get("CancellationReasons") or []
        if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
            logger.info("View %s already counted: duplicate record skipped", view["view_id"])
            return False
        raise
    return True


def quarantine(record: dict, *, reason: str) -> None:
    """Keep the record whole, with why it was rejected, so it can be fixed and replayed."""
    kinesis = record["kinesis"]
    shard_id = record["eventID"].split(":")[0]
    key = f"rejected/{shard_id}/{kinesis['sequenceNumber']}.json"
    document = {"reason": reason, "eventSourceARN": record["eventSourceARN"],
                "shardId": shard_id, "partitionKey": kinesis["partitionKey"],
                "sequenceNumber": kinesis["sequenceNumber"],
                "approximateArrivalTimestamp": kinesis["approximateArrivalTimestamp"],
                "data": kinesis["data"]}
    s3.put_object(Bucket=QUARANTINE_BUCKET, Key=key, Body=json.dumps(document).encode(),
                  ContentType="application/json")
    logger.warning("Quarantined record %s (%s) at s3://%s/%s", kinesis["sequenceNumber"],
                   reason, QUARANTINE_BUCKET, key)
