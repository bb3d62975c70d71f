"""A flaky payment gateway, and a checkout function that waits on it."""

import json
import os
import time

import boto3
from botocore.config import Config


class PaymentGatewayTimeout(Exception):
    pass


def gateway(event, context):
    table = boto3.resource("dynamodb").Table(os.environ["ATTEMPTS_TABLE"])
    attempts = table.update_item(
        Key={"payment": event["payment"]}, UpdateExpression="ADD attempts :one",
        ExpressionAttributeValues={":one": 1}, ReturnValues="UPDATED_NEW")["Attributes"]
    time.sleep(0.5)  # the gateway's answer takes half a second
    if attempts["attempts"] <= 2:
        raise PaymentGatewayTimeout(f"gateway timed out (attempt {attempts['attempts']})")
    return {"charged": True, "attempts": int(attempts["attempts"])}


lambda_client = boto3.client("lambda", config=Config(retries={"total_max_attempts": 1}))


def checkout(event, context):
    """Invoke the gateway and wait; on its error, wait and try again (1 s, then 2 s)."""
    for backoff in (1, 2, None):
        answer = lambda_client.invoke(FunctionName=os.environ["GATEWAY"],
                                      Payload=json.dumps({"payment": context.aws_request_id}))
        payload = json.loads(answer["Payload"].read())
        if "FunctionError" not in answer:
            return payload
        print(f"gateway failed: {payload.get('errorMessage')}; retrying in {backoff} s")
        if backoff is None:
            raise PaymentGatewayTimeout("gave up after 3 attempts")
        time.sleep(backoff)  # billed: this function runs (and waits) the whole time
