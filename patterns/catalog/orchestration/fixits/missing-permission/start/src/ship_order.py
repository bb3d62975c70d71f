"""ShipOrder: book the shipment with the warehouse (its bookings are ShipmentsTable).

If this step fails after the card was charged, the workflow's Catch runs RefundPayment: the
compensating step of the saga, since there is no transaction spanning the payment gateway and
the warehouse.
"""

import logging
import os

import boto3

logger = logging.getLogger()
logger.setLevel(logging.INFO)
shipments = boto3.resource("dynamodb").Table(os.environ["SHIPMENTS_TABLE"])


def handler(event, context):
    order_id = event["orderId"]
    tracking_id = f"TRK-{order_id.upper()}"
    shipments.put_item(Item={"orderId": order_id, "trackingId": tracking_id,
                             "method": event["shipping"], "status": "BOOKED"})
    logger.info("order %s ships %s as %s", order_id, event["shipping"], tracking_id)
    return {"trackingId": tracking_id, "method": event["shipping"]}
