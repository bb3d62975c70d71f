"""Test handlers for state machines: a flaky step, a failing one, a doubler, a slow one."""

import os

import boto3

attempts = boto3.resource("dynamodb").Table(os.environ["ATTEMPTS_TABLE"])


class TransientError(Exception):
    pass


def flaky(event, context):
    """Fails the first `fail_times` calls for an id, then succeeds."""
    count = attempts.update_item(
        Key={"id": event["id"]}, UpdateExpression="ADD calls :one",
        ExpressionAttributeValues={":one": 1}, ReturnValues="UPDATED_NEW")["Attributes"]["calls"]
    if count <= event.get("fail_times", 2):
        raise TransientError(f"attempt {count} failed")
    return {"id": event["id"], "attempts": int(count)}


def failing(event, context):
    raise ValueError("this step always fails")


def double(event, context):
    return event["value"] * 2 if isinstance(event, dict) else event * 2


def slow(event, context):
    import time

    time.sleep(5)
