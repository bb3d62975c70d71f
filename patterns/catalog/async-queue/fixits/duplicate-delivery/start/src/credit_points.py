"""OrdersQueue -> each order's loyalty points added to its customer's balance.

A message body is one order: {"order_id": "o-8001", "customer": "ada", "points": 40}.
"""

import json
import logging
import os

import boto3

logger = logging.getLogger()
logger.setLevel(logging.INFO)

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    failures = []
    for record in event["Records"]:
        try:
            credit(json.loads(record["body"]))
        except Exception:
            logger.exception("Could not credit message %s", record["messageId"])
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def credit(order):
    table.update_item(
        Key={"customer": order["customer"]},
        UpdateExpression="ADD points :points",
        ExpressionAttributeValues={":points": int(order["points"])})
    logger.info("Credited %s points to %s for order %s", order["points"], order["customer"],
                order["order_id"])
