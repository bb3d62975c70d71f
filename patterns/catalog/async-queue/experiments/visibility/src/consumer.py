"""Counts each message's processing (the side effect a real consumer would repeat: a charge,
an email), then works for 3 seconds."""

import os
import time

import boto3

table = boto3.resource("dynamodb").Table(os.environ["PROCESSED_TABLE"])


def handler(event, context):
    for record in event["Records"]:
        table.update_item(Key={"id": record["messageId"]},
                          UpdateExpression="ADD times :one",
                          ExpressionAttributeValues={":one": 1})
        print(f"processing {record['messageId']} "
              f"(receive count {record['attributes']['ApproximateReceiveCount']})")
        time.sleep(3)
    return {}
