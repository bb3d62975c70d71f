"""Enriches an event and publishes the result, marked stage=enriched, to the same topic."""

import json
import os

import boto3

sns = boto3.client("sns")


def handler(event, context):
    for record in event["Records"]:
        message = json.loads(record["Sns"]["Message"])
        enriched = {**message, "enriched": message.get("enriched", 0) + 1}
        sns.publish(TopicArn=os.environ["TOPIC_ARN"], Message=json.dumps(enriched),
                    MessageAttributes={"stage": {"DataType": "String",
                                                 "StringValue": "enriched"}})
        print(f"enriched {enriched['enriched']} time(s)")
    return {}
