"""The claim-check pattern: a payload too large for the queue goes to S3, and the message
carries a pointer to it (the Amazon SQS Extended Client Library does the same for Java and
Python, deciding by size before it sends)."""

import json
import os
import uuid

import boto3

sqs = boto3.client("sqs")
s3 = boto3.client("s3")


def produce(event, context):
    order_id = f"o-{uuid.uuid4().hex[:8]}"
    order = {"order": order_id, "attachment": "x" * int(event.get("attachment_bytes", 600_000))}
    body = json.dumps(order)
    try:
        sqs.send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=body)
        return {"order": order_id, "sent": "inline", "bytes": len(body)}
    except sqs.exceptions.ClientError as e:
        if e.response["Error"]["Code"] != "InvalidParameterValue":
            raise
        print(f"SQS refused {len(body)} bytes: {e.response['Error']['Message']}")
    key = f"payloads/{order_id}.json"
    s3.put_object(Bucket=os.environ["PAYLOAD_BUCKET"], Key=key, Body=body.encode())
    pointer = {"order": order_id, "claim_check": {"bucket": os.environ["PAYLOAD_BUCKET"],
                                                  "key": key}}
    sqs.send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=json.dumps(pointer))
    return {"order": order_id, "sent": "claim-check", "bytes": len(json.dumps(pointer))}


def consume(event, context):
    table = boto3.resource("dynamodb").Table(os.environ["RECEIVED_TABLE"])
    for record in event["Records"]:
        message = json.loads(record["body"])
        if "claim_check" in message:
            where = message["claim_check"]
            message = json.loads(s3.get_object(Bucket=where["bucket"],
                                               Key=where["key"])["Body"].read())
        table.put_item(Item={"order": message["order"],
                             "attachment_bytes": len(message["attachment"])})
        print(f"order {message['order']}: {len(message['attachment'])} bytes of attachment")
    return {}
