"""A mistake learners make: the function publishes to the topic that invokes it."""

import os

import boto3

sns = boto3.client("sns")


def handler(event, context):
    hops = int(event["Records"][0]["Sns"]["Message"]) + 1
    sns.publish(TopicArn=os.environ["TOPIC_ARN"], Message=str(hops))
    return {"hops": hops}
