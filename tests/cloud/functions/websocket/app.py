"""WebSocket route handlers written as for AWS: connection ids in DynamoDB, replies through
the @connections API at the endpoint the event names."""

import json
import os

import boto3

table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def _management(event):
    context = event["requestContext"]
    return boto3.client("apigatewaymanagementapi",
                        endpoint_url=f"https://{context['domainName']}/{context['stage']}")


def connect(event, context):
    print(json.dumps(event))
    name = (event.get("queryStringParameters") or {}).get("name")
    if not name:
        return {"statusCode": 401, "body": "name required"}
    table.put_item(Item={"connectionId": event["requestContext"]["connectionId"], "name": name})
    return {"statusCode": 200}


def disconnect(event, context):
    print(json.dumps(event))
    table.delete_item(Key={"connectionId": event["requestContext"]["connectionId"]})
    return {"statusCode": 200}


def broadcast(event, context):
    print(json.dumps(event))
    api = _management(event)
    message = json.loads(event["body"])["message"]
    gone = []
    for item in table.scan()["Items"]:
        try:
            api.post_to_connection(ConnectionId=item["connectionId"], Data=message.encode())
        except api.exceptions.GoneException:
            gone.append(item["connectionId"])
            table.delete_item(Key={"connectionId": item["connectionId"]})
    print(f"gone: {gone}")
    return {"statusCode": 200}


def default(event, context):
    api = _management(event)
    connection = api.get_connection(ConnectionId=event["requestContext"]["connectionId"])
    api.post_to_connection(ConnectionId=event["requestContext"]["connectionId"],
                           Data=json.dumps({"unrouted": event["body"],
                                            "sourceIp": connection["Identity"]["SourceIp"]}))
    return {"statusCode": 200}


def whoami(event, context):
    return {"statusCode": 200, "body": event["requestContext"]["connectionId"]}
