"""RefundPayment: give the customer their money back (the compensating step).

It runs when ShipOrder failed after the card was charged. A refund must not be lost, so the
workflow retries it on any error; the refund id derives from the charge id, the idempotency key
a real gateway call would send, so a retried refund never refunds twice.
"""

import logging
import uuid

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def handler(event, context):
    payment = event["payment"]
    reason = event.get("error", {}).get("Error", "unknown")
    refund_id = "re_" + uuid.uuid5(uuid.NAMESPACE_URL, payment["chargeId"]).hex[:24]
    logger.info("refunding %s (%s) for order %s after %s", payment["amount"],
                payment["chargeId"], event["orderId"], reason)
    return {"refundId": refund_id, "chargeId": payment["chargeId"], "amount": payment["amount"]}
