"""The order confirmation email, sent at most once per message when IDEMPOTENCY is on.

The idempotency record is a DynamoDB conditional write keyed by the SQS message id: the
first consumer to write it does the work; a redelivered copy finds it and skips. Powertools
for AWS Lambda's idempotency utility does the same (and stores the result, and expires the
record) with a decorator; this lab builds functions offline, so the write is spelled out.
"""

import os
import time

import boto3

dynamodb = boto3.resource("dynamodb")
sent = dynamodb.Table(os.environ["SENT_TABLE"])
idempotency = dynamodb.Table(os.environ["IDEMPOTENCY_TABLE"])


def _first_time(key: str) -> bool:
    try:
        idempotency.put_item(Item={"id": key, "expiration": int(time.time()) + 3600},
                             ConditionExpression="attribute_not_exists(id)")
        return True
    except dynamodb.meta.client.exceptions.ConditionalCheckFailedException:
        return False


def handler(event, context):
    for record in event["Records"]:
        key = record["messageId"]
        if os.environ["IDEMPOTENCY"] == "on" and not _first_time(key):
            print(f"{key}: already handled, skipped (a duplicate delivery)")
            continue
        sent.update_item(Key={"id": key}, UpdateExpression="ADD emails :one",
                         ExpressionAttributeValues={":one": 1})
        print(f"{key}: confirmation email sent")
        time.sleep(3)  # the mail server is slow today
    return {}
