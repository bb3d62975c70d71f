"""$disconnect: the client closed the connection, API Gateway closed it (idle timeout,
maximum duration, DeleteConnection), or the network dropped it. Forget its id.

API Gateway calls this on a best-effort basis: it can be missed, so senders must still cope
with ids that are gone (see send_message.py).
"""

import logging
import os

import boto3

logger = logging.getLogger()
logger.setLevel(logging.INFO)

table = boto3.resource("dynamodb").Table(os.environ["CONNECTIONS_TABLE"])


def handler(event, context):
    request = event["requestContext"]
    table.delete_item(Key={"connectionId": request["connectionId"]})
    logger.info("Connection %s left (%s %s)", request["connectionId"],
                request.get("disconnectStatusCode"), request.get("disconnectReason"))
    return {"statusCode": 200}
