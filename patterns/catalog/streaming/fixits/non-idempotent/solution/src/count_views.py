"""PageViewStream -> views per page in DynamoDB, each view counted once.

Lambda's event source mapping reads the shard in order and invokes this function with a batch
of records: each has kinesis.data (the producer's JSON, base64-encoded), kinesis.partitionKey
and kinesis.sequenceNumber. A view is {"view_id": "v-...", "page": "/...", "session": "..."};
the producer gives every view its own view_id.

Kinesis delivers at least once: a retried batch comes again whole, and a producer that
retries PutRecord writes the same view as a new record (a new sequence number). So the count
goes up only together with a conditional put of the view's id into CountedViewsTable, in one
transaction: a view already counted fails the condition and changes nothing.
"""

import base64
import json
import logging
import os
import time

import boto3
from botocore.exceptions import ClientError

logger = logging.getLogger()
logger.setLevel(logging.INFO)

dynamodb = boto3.client("dynamodb")
VIEWS_TABLE = os.environ["VIEWS_TABLE"]
COUNTED_TABLE = os.environ["COUNTED_TABLE"]
REMEMBER_SECONDS = 7 * 24 * 3600  # longer than the stream keeps records


def handler(event, context):
    for record in event["Records"]:
        view = json.loads(base64.b64decode(record["kinesis"]["data"]))
        if count_once(view):
            logger.info("Counted view %s of %s", view["view_id"], view["page"])
        else:
            logger.info("View %s already counted: duplicate record skipped", view["view_id"])
    logger.info("Batch of %d records counted", len(event["Records"]))


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
            return False
        raise
    return True
