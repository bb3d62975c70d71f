"""Stores queued orders in DynamoDB, one batch of SQS messages per invocation.

Lambda's event source mapping polls the queue and calls this handler with up to BatchSize
messages. The mapping has ReportBatchItemFailures turned on, so the handler answers with the
ids of the messages it could not process: Lambda deletes the others from the queue, and the
failed ones become visible again after the queue's visibility timeout, to be retried. A
message that keeps failing moves to the dead-letter queue after maxReceiveCount receives.

Delivery is at least once, so storing an order is idempotent: the item's key is the order id
the client chose, or the SQS message id, so a retried message overwrites its own item.
"""

import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


class InvalidOrder(ValueError):
    pass


def order_from(record: dict) -> dict:
    try:
        order = json.loads(record["body"])
    except json.JSONDecodeError:
        raise InvalidOrder("the message body is not JSON") from None
    if not isinstance(order, dict) or not isinstance(order.get("item"), str):
        raise InvalidOrder("an order needs an item")
    quantity = order.get("quantity", 1)
    if not isinstance(quantity, int) or quantity < 1:
        raise InvalidOrder("quantity must be a whole number, 1 or more")
    return {"id": str(order.get("id") or record["messageId"]), "item": order["item"],
            "quantity": quantity, "status": "RECEIVED"}


def handler(event, context):
    failures = []
    for record in event["Records"]:
        try:
            order = order_from(record)
        except InvalidOrder as e:
            # One bad message must not send the good ones of its batch back to the queue.
            print(json.dumps({"level": "ERROR", "messageId": record["messageId"],
                              "receiveCount": record["attributes"]["ApproximateReceiveCount"],
                              "error": str(e)}))
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        table.put_item(Item=order)
        print(json.dumps({"level": "INFO", "stored": order["id"], "item": order["item"]}))
    return {"batchItemFailures": failures}
