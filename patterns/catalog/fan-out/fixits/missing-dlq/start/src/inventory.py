"""InventoryQueue -> a stock reservation per order, made once however often the order arrives.

The subscription uses raw message delivery, so each SQS message body is the order exactly as
it was published: no SNS envelope to unwrap. SNS and SQS deliver at least once, so the same
order can arrive twice; a conditional put keyed by the order id makes the second delivery a
no-op instead of a second reservation.
"""

import json
import logging
import os
import time
from decimal import Decimal

import boto3
from botocore.exceptions import ClientError

logger = logging.getLogger()
logger.setLevel(logging.INFO)

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    failures = []
    for record in event["Records"]:
        try:
            reserve(record)
        except Exception:
            logger.exception("Could not reserve stock for message %s", record["messageId"])
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def reserve(record):
    order = json.loads(record["body"], parse_float=Decimal)  # raw delivery: the order itself
    try:
        table.put_item(
            Item={"order_id": order["order_id"], "status": "RESERVED",
                  "items": order["items"], "reserved_at": int(time.time()),
                  "sqs_message_id": record["messageId"]},
            ConditionExpression="attribute_not_exists(order_id)")
    except ClientError as e:
        if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        logger.info("Order %s already reserved: duplicate delivery ignored (message %s)",
                    order["order_id"], record["messageId"])
        return
    logger.info("Reserved stock for order %s", order["order_id"])
