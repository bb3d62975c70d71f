"""OrdersTable's stream -> a shipment request for every order that has just been paid.

The event source mapping's filter lets through only MODIFY records whose new image has
status "paid", so every record here is a paid order. A shipment request is keyed by the
order id: a record delivered twice requests the same shipment again, not a second one.
"""

import logging
import os
from datetime import UTC, datetime

import boto3

logger = logging.getLogger()
logger.setLevel(logging.INFO)

dynamodb = boto3.client("dynamodb")
SHIPMENTS_TABLE = os.environ["SHIPMENTS_TABLE"]


def handler(event, context):
    for record in event["Records"]:
        order = record["dynamodb"]["NewImage"]
        order_id = order["order_id"]["S"]
        dynamodb.put_item(TableName=SHIPMENTS_TABLE, Item={
            "order_id": {"S": order_id},
            "customer_id": order.get("customer_id", {"S": "unknown"}),
            "requested_at": {"S": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")},
        })
        logger.info("Shipment requested for %s", order_id)
