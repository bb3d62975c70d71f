"""POST /orders/{id}/attachments: hand the client a presigned S3 URL for one upload.

The file never passes through API Gateway or Lambda (which cap a request at a few MB): the
client PUTs it straight to S3 with the URL. The URL carries this function's permission to
put one object, under one key, with one Content-Type, for a few minutes; nothing else.
"""

import json
import os
import re
import uuid

import boto3
from botocore.config import Config

ALLOWED_TYPES = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg",
                 "text/plain": ".txt"}
EXPIRES_SECONDS = 300  # long enough to start the upload, short enough to be useless if leaked

# Created once per execution environment (Init), reused by every warm invocation.
# Signature Version 4 said explicitly: boto3 may still presign with Signature Version 2,
# which S3 buckets created since June 2020 refuse.
s3 = boto3.client("s3", config=Config(signature_version="s3v4"))
table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
BUCKET = os.environ["ATTACHMENTS_BUCKET"]


def respond(status, body):
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
    }


def handler(event, context):
    order_id = event["pathParameters"]["id"]
    try:
        request = json.loads(event.get("body") or "{}")
    except json.JSONDecodeError:
        return respond(400, {"message": "Request body must be JSON"})
    content_type = str(request.get("content_type", "")) if isinstance(request, dict) else ""
    if content_type not in ALLOWED_TYPES:
        return respond(400, {"message": "content_type must be one of "
                                        + ", ".join(sorted(ALLOWED_TYPES))})
    if table.get_item(Key={"id": order_id}).get("Item") is None:
        return respond(404, {"message": f"No order {order_id}"})

    # The key is chosen here, never by the client: it cannot overwrite another order's files.
    name = re.sub(r"[^A-Za-z0-9._-]", "_", str(request.get("filename") or "file"))[:64]
    key = f"attachments/{order_id}/{uuid.uuid4().hex}-{name}"
    if not key.endswith(ALLOWED_TYPES[content_type]):
        key += ALLOWED_TYPES[content_type]
    url = s3.generate_presigned_url(
        "put_object", ExpiresIn=EXPIRES_SECONDS, HttpMethod="PUT",
        Params={"Bucket": BUCKET, "Key": key, "ContentType": content_type})
    print(f"Presigned PUT for s3://{BUCKET}/{key} ({content_type}), {EXPIRES_SECONDS} s")
    return respond(200, {"upload_url": url, "method": "PUT", "key": key,
                         "headers": {"Content-Type": content_type},
                         "expires_in": EXPIRES_SECONDS})
