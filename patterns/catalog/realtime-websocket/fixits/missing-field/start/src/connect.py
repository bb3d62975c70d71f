"""$connect: API Gateway runs this while the client's WebSocket upgrade request waits.

A 2xx statusCode lets the client in; any other status refuses the connection, and the client's
upgrade request fails instead of opening a WebSocket. The connection id is stored so that
other functions can push messages to this client later.
"""

import logging
import os
import time

import boto3

logger = logging.getLogger()
logger.setLevel(logging.INFO)

# API Gateway closes every WebSocket connection after 2 hours at most: an id older than that
# is stale even if its $disconnect never ran (the table's TTL removes it).
MAX_CONNECTION_SECONDS = 2 * 60 * 60
MAX_NAME_LENGTH = 32

table = boto3.resource("dynamodb").Table(os.environ["CONNECTIONS_TABLE"])


def handler(event, context):
    connection_id = event["requestContext"]["connectionId"]
    name = ((event.get("queryStringParameters") or {}).get("name") or "").strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        logger.info("Refusing connection %s: no usable name", connection_id)
        return {"statusCode": 400,
                "body": f"Join with ?name=<your name> (1-{MAX_NAME_LENGTH} characters)."}
    table.put_item(Item={
        "connectionId": connection_id,
        "name": name,
        "connectedAt": event["requestContext"]["connectedAt"],
        "expiresAt": int(time.time()) + MAX_CONNECTION_SECONDS,
    })
    logger.info("%s joined as connection %s", name, connection_id)
    return {"statusCode": 200}
