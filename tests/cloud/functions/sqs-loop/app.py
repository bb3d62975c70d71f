"""A mistake learners make: the function sends to the queue that invokes it."""

import os

import boto3

sqs = boto3.client("sqs")


def handler(event, context):
    hops = int(event["Records"][0]["body"]) + 1
    sqs.send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=str(hops))
    return {"hops": hops}
