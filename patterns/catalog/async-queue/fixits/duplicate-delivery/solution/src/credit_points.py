"""OrdersQueue -> each order's loyalty points added to its customer's balance.

A message body is one order: {"order_id": "o-8001", "customer": "ada", "points": 40}.
SQS delivers at least once, so the same order can arrive twice: the balance and the list of
orders already credited change in one conditional update, and a second delivery of an order
fails the condition and changes nothing.
"""

import json
import logging
import os

import boto3
from botocore.exceptions import ClientError

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
    try:
        table.update_item(
            Key={"customer": order["customer"]},
            UpdateExpression="ADD points :points, credited_orders :order",
            ConditionExpression="NOT contains(credited_orders, :order_id)",
            ExpressionAttributeValues={":points": int(order["points"]),
                                       ":order": {order["order_id"]},
                                       ":order_id": order["order_id"]})
    except ClientError as e:
        if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        # Not an error: this order was credited already. Report success, or SQS would
        # deliver it again and again.
        logger.info("Order %s was credited already: duplicate delivery ignored",
                    order["order_id"])
        return
    logger.info("Credited %s points to %s for order %s", order["points"], order["customer"],
                order["order_id"])
