"""S3 ObjectCreated (uploads/*.csv): validate and summarise the CSV, write the summary to the
processed bucket, record the file in DynamoDB and announce it on SNS.

S3 invokes this function asynchronously and delivers each event at least once, so the same
upload can arrive twice. The metadata item is written only if this content (its ETag) is not
recorded yet, and the notification is sent only when that write succeeds.
"""

import csv
import io
import json
import logging
import os
import time
from decimal import Decimal, InvalidOperation
from urllib.parse import unquote_plus

import boto3
from botocore.exceptions import ClientError

logger = logging.getLogger()
logger.setLevel(logging.INFO)

EXPECTED_HEADER = ["order_id", "customer", "amount"]
MAX_BYTES = 10 * 1024 * 1024  # read whole into memory; larger files need a streaming reader

# Created once per execution environment (Init), reused by every warm invocation.
s3 = boto3.client("s3")
sns = boto3.client("sns")
table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
OUTPUT_BUCKET = os.environ["OUTPUT_BUCKET"]
TOPIC_ARN = os.environ["TOPIC_ARN"]


class RejectedFile(ValueError):
    """The file is not a CSV this function accepts; retrying would not change that."""


def summarise(body: bytes) -> dict:
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RejectedFile("file is not UTF-8 text") from None
    rows = csv.reader(io.StringIO(text))
    header = [column.strip() for column in next(rows, [])]
    if header != EXPECTED_HEADER:
        raise RejectedFile(f"header must be {','.join(EXPECTED_HEADER)}, "
                           f"got {','.join(header) or 'nothing'}")
    count, total, customers = 0, Decimal("0"), set()
    for line, row in enumerate(rows, start=2):
        if not row:
            continue
        if len(row) != len(EXPECTED_HEADER):
            raise RejectedFile(f"line {line}: {len(row)} fields, expected {len(EXPECTED_HEADER)}")
        try:
            total += Decimal(row[2])
        except InvalidOperation:
            raise RejectedFile(f"line {line}: amount {row[2]!r} is not a number") from None
        count += 1
        customers.add(row[1].strip())
    return {"row_count": count, "customer_count": len(customers), "total_amount": str(total)}


def handler(event, context):
    return {"files": [process(record) for record in event["Records"]]}


def process(record: dict) -> dict:
    bucket = record["s3"]["bucket"]["name"]
    key = unquote_plus(record["s3"]["object"]["key"])  # keys arrive URL-encoded ("a+b.csv")
    # Read what is in the bucket now (a newer upload may have replaced the one that fired).
    found = s3.get_object(Bucket=bucket, Key=key)
    etag = found["ETag"].strip('"')
    item = {"object_key": key, "bucket": bucket, "etag": etag,
            "size_bytes": found["ContentLength"],
            "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    try:
        if found["ContentLength"] > MAX_BYTES:
            raise RejectedFile(f"file is larger than {MAX_BYTES} bytes")
        summary = summarise(found["Body"].read())
    except RejectedFile as e:
        # Recorded and reported, not raised: raising would make Lambda retry a file that can
        # never succeed, twice, before dropping the event.
        item.update(status="rejected", reason=str(e))
    else:
        output_key = "processed/" + key.removeprefix("uploads/").removesuffix(".csv") + ".json"
        s3.put_object(Bucket=OUTPUT_BUCKET, Key=output_key, ContentType="application/json",
                      Body=json.dumps({"source": f"s3://{bucket}/{key}", "etag": etag,
                                       **summary}).encode())
        item.update(status="processed", output_key=output_key, row_count=summary["row_count"],
                    customer_count=summary["customer_count"],
                    total_amount=Decimal(summary["total_amount"]))

    try:
        table.put_item(Item=item, ConditionExpression="attribute_not_exists(object_key) "
                                                      "OR etag <> :etag",
                       ExpressionAttributeValues={":etag": etag})
    except ClientError as e:
        if e.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise  # a real failure: let Lambda's asynchronous retries try again
        logger.info("Already recorded %s (ETag %s): duplicate delivery, not notifying again",
                    key, etag)
        return {"object_key": key, "status": "duplicate"}

    # Were Publish to fail now, the retry would find the file recorded and stay silent: the
    # notification is sent at most once. Publishing from the table's stream instead (see the
    # change-data-capture pattern) would make it at least once.
    sns.publish(TopicArn=TOPIC_ARN, Subject=f"CSV {item['status']}",
                Message=json.dumps(item, default=str),
                MessageAttributes={"status": {"DataType": "String",
                                              "StringValue": item["status"]}})
    logger.info("%s %s: %s", item["status"].capitalize(), key,
                item.get("reason") or f"{item['row_count']} rows -> {item['output_key']}")
    return {"object_key": key, "status": item["status"]}
