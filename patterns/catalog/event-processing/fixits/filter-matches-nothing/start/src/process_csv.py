"""EventBridge "Object Created" (a CSV under uploads/): count its rows and record the file.

The uploads bucket sends its events to EventBridge, and a rule picks the ones this function
wants. An S3 event on EventBridge looks like this (trimmed):

    {"source": "aws.s3", "detail-type": "Object Created",
     "detail": {"bucket": {"name": "..."},
                "object": {"key": "uploads/orders.csv", "size": 91, "etag": "..."},
                "reason": "PutObject"}}
"""

import csv
import io
import json
import os

import boto3

s3 = boto3.client("s3")
table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    bucket = event["detail"]["bucket"]["name"]
    key = event["detail"]["object"]["key"]
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8-sig")
    rows = [row for row in csv.reader(io.StringIO(body)) if row][1:]  # less the header
    table.put_item(Item={"object_key": key, "bucket": bucket, "row_count": len(rows),
                         "status": "processed"})
    print(json.dumps({"message": f"processed {key}: {len(rows)} rows", "object_key": key}))
    return {"object_key": key, "row_count": len(rows)}
