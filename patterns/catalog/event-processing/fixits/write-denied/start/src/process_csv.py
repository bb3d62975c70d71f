"""S3 ObjectCreated (uploads/*.csv): summarise the CSV and write the summary, as JSON, to the
processed bucket under processed/<name>.json.

S3 invokes this function asynchronously: the upload has succeeded long before this runs,
and if it raises, Lambda retries the event twice, then sends it to the on-failure
destination.
"""

import csv
import io
import json
import logging
import os
from urllib.parse import unquote_plus

import boto3

logger = logging.getLogger()
logger.setLevel(logging.INFO)

s3 = boto3.client("s3")
OUTPUT_BUCKET = os.environ["OUTPUT_BUCKET"]


def handler(event, context):
    return {"files": [process(record) for record in event["Records"]]}


def process(record):
    bucket = record["s3"]["bucket"]["name"]
    key = unquote_plus(record["s3"]["object"]["key"])  # keys arrive URL-encoded ("a+b.csv")
    text = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8-sig")
    rows = [row for row in csv.reader(io.StringIO(text)) if row][1:]  # less the header
    output_key = "processed/" + key.removeprefix("uploads/").removesuffix(".csv") + ".json"
    s3.put_object(Bucket=OUTPUT_BUCKET, Key=output_key, ContentType="application/json",
                  Body=json.dumps({"source": f"s3://{bucket}/{key}",
                                   "row_count": len(rows)}).encode())
    logger.info("Summarised %s: %d rows -> %s", key, len(rows), output_key)
    return {"object_key": key, "output_key": output_key}
