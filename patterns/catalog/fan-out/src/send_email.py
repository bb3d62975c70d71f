"""EmailQueue -> the order confirmation email.

The subscription delivers the SNS envelope, so each SQS message body is a JSON notification
whose `Message` is the order as published and whose `MessageAttributes` carry the attributes
the filter policy matched (notify = "true"). The email is written to an outbox bucket, which
stands in for Amazon SES here.
"""

import json
import logging
import os

import boto3

logger = logging.getLogger()
logger.setLevel(logging.INFO)

s3 = boto3.client("s3")
OUTBOX_BUCKET = os.environ["OUTBOX_BUCKET"]


def handler(event, context):
    # With ReportBatchItemFailures, only the messages named here go back to the queue; the
    # rest of the batch is deleted as done.
    failures = []
    for record in event["Records"]:
        try:
            send_confirmation(record)
        except Exception:
            logger.exception("Could not email message %s", record["messageId"])
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def send_confirmation(record):
    notification = json.loads(record["body"])  # the SNS envelope
    order = json.loads(notification["Message"])  # the order, as the publisher sent it
    lines = [f"To: {order['customer_email']}",
             f"Subject: Order {order['order_id']} confirmed",
             "",
             "Thank you for your order:"]
    lines += [f"  {line['quantity']} x {line['sku']}" for line in order["items"]]
    # One object per order id: a redelivered message rewrites the same email instead of
    # sending a second one. With SES, record the order id (a conditional put) before sending.
    s3.put_object(Bucket=OUTBOX_BUCKET, Key=f"emails/{order['order_id']}.txt",
                  Body="\n".join(lines).encode(), ContentType="text/plain")
    logger.info("Emailed %s about order %s (SNS message %s)", order["customer_email"],
                order["order_id"], notification["MessageId"])
