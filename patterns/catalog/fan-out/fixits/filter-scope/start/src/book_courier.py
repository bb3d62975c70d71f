"""ExpressQueue -> a courier booking for each express order, once per order id.

The subscription uses raw message delivery, so each SQS message body is the order exactly
as the shop published it, for example:

    {"order_id": "o-5001", "delivery": "express", "items": [...], "total": "31.80"}
"""

import json
import logging
import os
import time

import boto3
from botocore.exceptions import ClientError

logger = logging.getLogger()
logger.setLevel(logging.INFO)

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    failures = []
    for record in event["Records"]:
        try:
            book(json.loads(record["body"]))
        except Exception:
            logger.exception("Could not book a courier for message %s", record["messageId"])
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def book(order):
    try:
        table.put_item(Item={"order_id": order["order_id"], "status": "BOOKED",
                             "booked_at": int(time.time())},
                       ConditionExpression="attribute_not_exists(order_id)")
    except ClientError as e:
        if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        logger.info("Order %s already booked", order["order_id"])
        return
    logger.info("Booked a courier for express order %s", order["order_id"])
