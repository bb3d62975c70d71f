"""ChargeCard: charge the order's card through the payment gateway.

The OrderWorkflow state machine calls this function (a Lambda invoke task). An exception fails
the task, and Step Functions names the error after the exception's class: the workflow retries
PaymentGatewayTimeout (transient) with backoff, and sends CardDeclined (permanent: retrying
cannot help) straight to its Catch.
"""

import logging
import os
import uuid

import boto3

logger = logging.getLogger()
logger.setLevel(logging.INFO)
orders = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
# The card number payment gateways use in test mode for "the issuer declined".
DECLINED_TEST_CARD = "4000000000000002"


class PaymentGatewayTimeout(Exception):
    """The gateway did not answer in time: the charge may be retried."""


class CardDeclined(Exception):
    """The issuer refused the charge: retrying would be refused again."""


def handler(event, context):
    order_id = event["orderId"]
    attempt = orders.update_item(
        Key={"orderId": order_id}, UpdateExpression="ADD chargeAttempts :one",
        ExpressionAttributeValues={":one": 1}, ReturnValues="UPDATED_NEW",
    )["Attributes"]["chargeAttempts"]
    logger.info("charging %s for order %s (attempt %s)", event["total"], order_id, attempt)
    # A lab switch standing in for a slow gateway: fail the first N attempts of this order.
    if attempt <= event.get("simulate", {}).get("gateway_timeouts", 0):
        raise PaymentGatewayTimeout(f"the payment gateway did not answer (attempt {attempt})")
    if event.get("card", {}).get("number") == DECLINED_TEST_CARD:
        raise CardDeclined("the card issuer declined the charge")
    # The order id is the idempotency key a real gateway call would send, so a retried
    # charge can never charge twice; the charge id derives from it.
    charge_id = "ch_" + uuid.uuid5(uuid.NAMESPACE_URL, f"order/{order_id}").hex[:24]
    return {"chargeId": charge_id, "amount": event["total"]}
