"""S3 ObjectCreated (uploads/*.png, uploads/*.jpg): make a thumbnail at most 128 px on its
longer side, write it to the processed bucket, record the image in DynamoDB and announce it on
SNS.

Pillow is not in the Lambda runtime: requirements.txt names it and the build (sam build, or
the lab's) installs its manylinux wheel next to this file. Like the CSV processor, the
metadata item is written only if this content (its ETag) is not recorded yet, so a duplicate
delivery neither records nor notifies twice.
"""

import io
import json
import logging
import os
import time
from urllib.parse import unquote_plus

import boto3
from botocore.exceptions import ClientError
from PIL import Image, UnidentifiedImageError

logger = logging.getLogger()
logger.setLevel(logging.INFO)

THUMBNAIL_SIZE = (128, 128)  # the longer side ends at 128 px; the aspect ratio is kept
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}  # judged by content, not by the key
MAX_BYTES = 10 * 1024 * 1024  # decoded images take far more memory than their file

# Created once per execution environment (Init), reused by every warm invocation; importing
# Pillow is part of this function's Init time too.
s3 = boto3.client("s3")
sns = boto3.client("sns")
table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
OUTPUT_BUCKET = os.environ["OUTPUT_BUCKET"]
TOPIC_ARN = os.environ["TOPIC_ARN"]


class RejectedFile(ValueError):
    """Not an image this function accepts; retrying would not change that."""


def thumbnail(body: bytes) -> tuple[bytes, dict]:
    try:
        # Opening reads only the header. Pillow refuses an image that claims more than twice
        # its MAX_IMAGE_PIXELS (DecompressionBombError): a tiny file can claim billions.
        image = Image.open(io.BytesIO(body))
        image_format = image.format
        if image_format not in FORMATS:
            raise RejectedFile(f"{image_format or 'unknown'} is not a PNG or JPEG image")
        width, height = image.size
        image.thumbnail(THUMBNAIL_SIZE)
        out = io.BytesIO()
        image.save(out, format=image_format)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError) as e:
        raise RejectedFile(f"not a PNG or JPEG image ({type(e).__name__})") from None
    return out.getvalue(), {"format": image_format, "width": width, "height": height,
                            "thumbnail_width": image.width, "thumbnail_height": image.height}


def handler(event, context):
    return {"files": [process(record) for record in event["Records"]]}


def process(record: dict) -> dict:
    bucket = record["s3"]["bucket"]["name"]
    key = unquote_plus(record["s3"]["object"]["key"])  # keys arrive URL-encoded
    found = s3.get_object(Bucket=bucket, Key=key)
    etag = found["ETag"].strip('"')
    item = {"object_key": key, "bucket": bucket, "etag": etag, "kind": "image",
            "size_bytes": found["ContentLength"],
            "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    try:
        if found["ContentLength"] > MAX_BYTES:
            raise RejectedFile(f"file is larger than {MAX_BYTES} bytes")
        data, facts = thumbnail(found["Body"].read())
    except RejectedFile as e:
        # Recorded and reported, not raised: a retry would fail the same way.
        item.update(status="rejected", reason=str(e))
    else:
        output_key = "thumbnails/" + key.removeprefix("uploads/")
        s3.put_object(Bucket=OUTPUT_BUCKET, Key=output_key, Body=data,
                      ContentType=FORMATS[facts["format"]],
                      Metadata={"source": f"s3://{bucket}/{key}", "source-etag": etag})
        item.update(status="processed", output_key=output_key, **facts)

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

    sns.publish(TopicArn=TOPIC_ARN, Subject=f"Image {item['status']}",
                Message=json.dumps(item, default=str),
                MessageAttributes={"status": {"DataType": "String",
                                              "StringValue": item["status"]}})
    logger.info("%s %s: %s", item["status"].capitalize(), key,
                item.get("reason") or f"{item['width']}x{item['height']} -> "
                f"{item['output_key']} ({item['thumbnail_width']}x{item['thumbnail_height']})")
    return {"object_key": key, "status": item["status"]}
