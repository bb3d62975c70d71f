"""The payment gateway, simulated by the lab: its books are PaymentGatewayTable (per order,
the number of charges and what they add up to), as the customer's card statement would show.

charge(order_id=..., amount_cents=..., idempotency_key=None) charges the card and answers the
charge id. Like real payment APIs (an Idempotency-Key header, say), a request that carries an
idempotency key the gateway has already seen is not charged again: the gateway answers the
id of the charge it made then. Without a key, every request is a new charge.

The gateway can charge the card and then fail to answer in time: the caller gets
PaymentGatewayTimeout and cannot tell whether the card was charged.
"""

import os
import uuid

import boto3

books = boto3.resource("dynamodb").Table(os.environ["GATEWAY_TABLE"])


class PaymentGatewayTimeout(Exception):
    """The gateway did not answer in time: the charge may or may not have been made."""


def charge(*, order_id: str, amount_cents: int, idempotency_key: str | None = None,
           answer_lost: bool = False) -> str:
    """Charge the card; `answer_lost` (a lab switch) makes the gateway charge, then time out."""
    if idempotency_key is None:
        charge_id = "ch_" + uuid.uuid4().hex[:24]
        books.update_item(Key={"order_id": order_id},
                          UpdateExpression="ADD charges :one, charged_cents :cents",
                          ExpressionAttributeValues={":one": 1, ":cents": amount_cents})
    else:
        charge_id = "ch_" + uuid.uuid5(uuid.NAMESPACE_URL, idempotency_key).hex[:24]
        try:
            books.update_item(
                Key={"order_id": order_id},
                UpdateExpression="ADD charges :one, charged_cents :cents, idempotency_keys :keys",
                ConditionExpression="attribute_not_exists(idempotency_keys) "
                                    "OR NOT contains(idempotency_keys, :key)",
                ExpressionAttributeValues={":one": 1, ":cents": amount_cents,
                                           ":keys": {idempotency_key}, ":key": idempotency_key})
        except books.meta.client.exceptions.ConditionalCheckFailedException:
            pass  # seen before: the card is not charged again, the first charge's id answers
    if answer_lost:
        raise PaymentGatewayTimeout(f"the payment gateway did not answer in time ({order_id})")
    return charge_id
