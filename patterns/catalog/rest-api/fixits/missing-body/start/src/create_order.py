"""POST /orders: validate the order, store it in DynamoDB, answer 201 with its id."""

import json
import logging
import os
import time
import uuid

import boto3

logger = logging.getLogger()
logger.setLevel(logging.INFO)

# Created once per execution environment (Init), reused by every warm invocation.
table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def respond(status, body):
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
    }


def handler(event, context):
    try:
        order = json.loads(event["body"])
    except json.JSONDecodeError:
        return respond(400, {"message": "Request body must be JSON"})
    if not isinstance(order, dict) or not order.get("item"):
        return respond(400, {"message": "An order needs an 'item'"})

    item = {
        "id": str(uuid.uuid4()),
        "item": str(order["item"]),
        "quantity": int(order.get("quantity", 1)),
        "created_at": int(time.time()),
    }
    table.put_item(Item=item)
    logger.info("Stored order %s", item["id"])
    return respond(201, item)
