"""ShipOrder: book the shipment with the warehouse.

If this step fails after the card was charged, the workflow's Catch runs RefundPayment: the
compensating step of the saga, since there is no transaction spanning the payment gateway and
the warehouse.
"""

import logging

logger = logging.getLogger()
logger.setLevel(logging.INFO)


class WarehouseUnavailable(Exception):
    pass


def handler(event, context):
    order_id = event["orderId"]
    # A lab switch standing in for an outage of the warehouse's API.
    if event.get("simulate", {}).get("warehouse_down"):
        raise WarehouseUnavailable(f"the warehouse could not book order {order_id}")
    tracking_id = f"TRK-{order_id.upper()}"
    logger.info("order %s ships %s as %s", order_id, event["shipping"], tracking_id)
    return {"trackingId": tracking_id, "method": event["shipping"]}
