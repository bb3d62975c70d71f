"""DynamoDB Streams (OrdersTable, NEW_AND_OLD_IMAGES) -> a per-customer projection: how many
orders each customer has and what they add up to.

Lambda reads the stream in order per shard and invokes this function with batches of records.
Each record carries eventName (INSERT, MODIFY or REMOVE) and, under "dynamodb", the item's
Keys, its SequenceNumber and its images. The projection takes the old image away and adds the
new one, so a changed amount or a changed customer is counted right.
"""

import logging
import os

import boto3

logger = logging.getLogger()
logger.setLevel(logging.INFO)

dynamodb = boto3.client("dynamodb")
TOTALS_TABLE = os.environ["TOTALS_TABLE"]


def handler(event, context):
    # An exception fails the whole batch: Lambda retries it, in order, before anything after it.
    for record in event["Records"]:
        apply(record)


def apply(record: dict) -> None:
    change = record["dynamodb"]
    old = change.get("OldImage")  # an INSERT has no old image
    new = change["NewImage"]
    order_id = new["order_id"]["S"]
    for customer, (orders, cents) in projection_deltas(old, new).items():
        dynamodb.update_item(
            TableName=TOTALS_TABLE, Key={"customer_id": {"S": customer}},
            UpdateExpression="ADD order_count :orders, total_cents :cents",
            ExpressionAttributeValues={":orders": {"N": str(orders)},
                                       ":cents": {"N": str(cents)}})
    logger.info("Applied %s of %s: record %s", record["eventName"], order_id, record["eventID"])


def projection_deltas(old: dict | None, new: dict | None) -> dict[str, tuple[int, int]]:
    """{customer_id: (orders, cents)} to add: the old image is taken away, the new one added."""
    deltas: dict[str, tuple[int, int]] = {}
    for image, sign in ((old, -1), (new, 1)):
        if not image or "customer_id" not in image:
            continue
        customer = image["customer_id"]["S"]
        orders, cents = deltas.get(customer, (0, 0))
        amount = int(image.get("amount_cents", {"N": "0"})["N"])
        deltas[customer] = (orders + sign, cents + sign * amount)
    return {customer: delta for customer, delta in deltas.items() if delta != (0, 0)}
