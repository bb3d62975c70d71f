"""ChargeCard: charge the order's card through the payment gateway.

The gateway's client is gateway.py (the provider's SDK, not yours to change):
    gateway.charge(*, order_id, amount_cents, idempotency_key=None, answer_lost=False)
charges the card and answers the charge id; it raises PaymentGatewayTimeout when the
gateway's answer does not arrive in time (answer_lost is the lab's switch for that).

The OrderWorkflow state machine calls this function (a Lambda invoke task). An exception fails
the task, and Step Functions names the error after the exception's class: the workflow retries
PaymentGatewayTimeout (the gateway did not answer in time) with backoff. A timed-out charge
may have been made, so every attempt sends the same idempotency key.
"""

import logging
import os

import boto3
import gateway

logger = logging.getLogger()
logger.setLevel(logging.INFO)
orders = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    order_id = event["orderId"]
    amount_cents = round(event["total"] * 100)
    attempt = orders.update_item(
        Key={"orderId": order_id}, UpdateExpression="ADD chargeAttempts :one",
        ExpressionAttributeValues={":one": 1}, ReturnValues="UPDATED_NEW",
    )["Attributes"]["chargeAttempts"]
    logger.info("charging %s cents for order %s (attempt %s)", amount_cents, order_id, attempt)
    # A lab switch standing in for a slow network: the gateway's first N answers are lost.
    answer_lost = attempt <= event.get("simulate", {}).get("lost_answers", 0)
    # The order id is the idempotency key: whichever attempt reaches the gateway, and however
    # many do, the order is charged once; a retry gets the first charge's id back.
    charge_id = gateway.charge(order_id=order_id, amount_cents=amount_cents,
                               idempotency_key=f"order/{order_id}", answer_lost=answer_lost)
    logger.info("order %s charged: %s", order_id, charge_id)
    return {"chargeId": charge_id, "amount": event["total"]}
