"""Two versions of a document, indexed through S3 events and through a FIFO queue."""

import json
import os
import time
import uuid

import boto3

s3 = boto3.client("s3")
sqs = boto3.client("sqs")


def upload(event, context):
    run = uuid.uuid4().hex[:8]
    key = f"docs/{run}/report.txt"
    for version, size in (("v1", 300_000), ("v2", 1_000)):
        s3.put_object(Bucket=os.environ["BUCKET"], Key=key,
                      Body=(version + "." * size).encode())
        upload_id = f"{run}-{version}"
        group = key if os.environ["GROUP_BY"] == "document" else upload_id
        sqs.send_message(QueueUrl=os.environ["QUEUE_URL"],
                         MessageBody=json.dumps({"key": key, "version": version}),
                         MessageGroupId=group, MessageDeduplicationId=upload_id)
        print(f"wrote {version} of {key}; announced in message group {group}")
    return {"key": key, "group_by": os.environ["GROUP_BY"]}


def _index(path: str, key: str, version: str) -> None:
    if version == "v1":
        time.sleep(2)  # the large version takes longer to index
    boto3.resource("dynamodb").Table(os.environ["INDEX_TABLE"]).put_item(
        Item={"doc": f"{path}:{key}", "version": version, "indexed_at": str(time.time())})
    print(f"{path}: indexed {version} of {key}")


def index(event, context):
    for record in event["Records"]:
        if record.get("eventSource") == "aws:s3":
            key = record["s3"]["object"]["key"]
            # The version this event is about, from its own metadata: reading the object now
            # would give whatever version is there by the time the event is handled.
            version = "v1" if record["s3"]["object"]["size"] > 100_000 else "v2"
            # AWS's events carry a sequencer (the lab's S3 events do not yet).
            print(f"S3 event for {key}, sequencer {record['s3']['object'].get('sequencer')}")
            _index("s3", key, version)
        else:
            announced = json.loads(record["body"])
            print(f"FIFO message, group {record['attributes']['MessageGroupId']}")
            _index("fifo", announced["key"], announced["version"])
    return {}
