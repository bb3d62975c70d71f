"""GET /orders/{id}: read one order from DynamoDB."""

import json
import os
from decimal import Decimal

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def as_json(value):
    # DynamoDB returns numbers as Decimal, which json cannot encode by itself.
    return int(value) if isinstance(value, Decimal) and value == int(value) else float(value)


def handler(event, context):
    order_id = event["pathParameters"]["id"]
    found = table.get_item(Key={"id": order_id}).get("Item")
    if found is None:
        return {"statusCode": 404, "body": json.dumps({"message": f"No order {order_id}"})}
    print(f"Found order {order_id}")
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(found, default=as_json),
    }
