"""AnalyticsQueue -> every order, with its SNS metadata, landed in the analytics bucket.

The subscription has no filter policy, so analytics sees every order, and it keeps the SNS
envelope: the message id, the publish time and the message attributes are worth keeping for
analysis. One object per order id, so a redelivery overwrites instead of double counting.
"""

import json
import logging
import os

import boto3

logger = logging.getLogger()
logger.setLevel(logging.INFO)

s3 = boto3.client("s3")
ANALYTICS_BUCKET = os.environ["ANALYTICS_BUCKET"]


def handler(event, context):
    failures = []
    for record in event["Records"]:
        try:
            land(record)
        except Exception:
            logger.exception("Could not land message %s", record["messageId"])
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def land(record):
    notification = json.loads(record["body"])  # the SNS envelope
    order = json.loads(notification["Message"])
    document = {
        "order": order,
        "sns_message_id": notification["MessageId"],
        "published_at": notification["Timestamp"],
        "topic_arn": notification["TopicArn"],
        "attributes": {name: attribute["Value"]
                       for name, attribute in notification.get("MessageAttributes", {}).items()},
    }
    key = f"orders/{order['order_id']}.json"
    s3.put_object(Bucket=ANALYTICS_BUCKET, Key=key, Body=json.dumps(document).encode(),
                  ContentType="application/json")
    logger.info("Landed order %s at s3://%s/%s", order["order_id"], ANALYTICS_BUCKET, key)
