"""sendmessage route: relay a chat message to every connected client.

The client sends {"action": "sendmessage", "message": "..."}; the API's route selection
expression ($request.body.action) picks this route. The function pushes the message to each
stored connection through the API's @connections endpoint (PostToConnection). A connection
that closed without its $disconnect being run answers 410 GoneException: its id is deleted.
"""

import json
import logging
import os

import boto3

logger = logging.getLogger()
logger.setLevel(logging.INFO)

MAX_MESSAGE_LENGTH = 2000

table = boto3.resource("dynamodb").Table(os.environ["CONNECTIONS_TABLE"])
# One management client per endpoint, kept across warm invocations.
_management_clients = {}


def management_api(event):
    """The @connections client for the API and stage that sent this event."""
    request = event["requestContext"]
    endpoint = f"https://{request['domainName']}/{request['stage']}"
    if endpoint not in _management_clients:
        _management_clients[endpoint] = boto3.client("apigatewaymanagementapi",
                                                     endpoint_url=endpoint)
    return _management_clients[endpoint]


def connection_ids():
    """Every stored connection id, page by page."""
    arguments = {"ProjectionExpression": "connectionId"}
    while True:
        page = table.scan(**arguments)
        yield from (item["connectionId"] for item in page["Items"])
        if "LastEvaluatedKey" not in page:
            return
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def handler(event, context):
    sender_id = event["requestContext"]["connectionId"]
    api = management_api(event)
    try:
        body = json.loads(event.get("body") or "{}")
    except json.JSONDecodeError:
        body = {}
    text = str(body.get("message", "")).strip() if isinstance(body, dict) else ""
    if not text or len(text) > MAX_MESSAGE_LENGTH:
        api.post_to_connection(ConnectionId=sender_id, Data=json.dumps(
            {"error": f"Send a message of 1-{MAX_MESSAGE_LENGTH} characters."}).encode())
        return {"statusCode": 400}

    # The name the client joined with (?name=... on the connect URL).
    sender = event["queryStringParameters"]["name"]
    payload = json.dumps({"from": sender, "message": text,
                          "sentAt": event["requestContext"]["requestTimeEpoch"]}).encode()
    delivered = 0
    for connection_id in connection_ids():
        try:
            api.post_to_connection(ConnectionId=connection_id, Data=payload)
            delivered += 1
        except api.exceptions.GoneException:
            logger.info("Connection %s is gone (GoneException): removing it", connection_id)
            table.delete_item(Key={"connectionId": connection_id})
    logger.info("Message from %s delivered to %d connections", sender_id, delivered)
    return {"statusCode": 200}
