from urllib.parse import unquote_plus

import boto3

s3 = boto3.client("s3")


def handler(event, context):
    record = event["Records"][0]["s3"]
    key = unquote_plus(record["object"]["key"])
    body = s3.get_object(Bucket=record["bucket"]["name"], Key=key)["Body"].read()
    return {"key": key, "png": body.startswith(b"\x89PNG"),
            "size_as_the_event_says": len(body) == record["object"]["size"]}
