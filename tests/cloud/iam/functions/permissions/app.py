"""One handler for every function of the template: event["op"] names the AWS call to make;
it answers what the call returned, or the error code and message AWS gave."""

import os

import boto3
from botocore.exceptions import ClientError


def _call(op: str, event: dict):
    table = os.environ["TABLE"]
    if op == "get":
        dynamodb = boto3.client("dynamodb")
        return dynamodb.get_item(TableName=table, Key={"id": {"S": event["id"]}}).get("Item")
    if op == "put":
        boto3.client("dynamodb").put_item(TableName=table, Item={"id": {"S": event["id"]}})
        return "put"
    if op == "delete":
        boto3.client("dynamodb").delete_item(TableName=table, Key={"id": {"S": event["id"]}})
        return "deleted"
    if op == "batch-write":
        boto3.client("dynamodb").batch_write_item(RequestItems={
            table: [{"PutRequest": {"Item": {"id": {"S": event["id"]}}}}]})
        return "written"
    if op == "send":
        boto3.client("sqs").send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody="hi")
        return "sent"
    if op == "upload":
        boto3.client("s3").put_object(Bucket=os.environ["BUCKET"], Key=event["key"], Body=b"x")
        return "uploaded"
    if op == "publish":
        boto3.client("sns").publish(TopicArn=os.environ["TOPIC"], Message="hi")
        return "published"
    if op == "invoke":
        boto3.client("lambda").invoke(FunctionName=os.environ["OTHER_FUNCTION"], Payload=b"{}")
        return "invoked"
    if op == "put-event":
        boto3.client("events").put_events(Entries=[
            {"Source": "shop", "DetailType": "order", "Detail": "{}"}])
        return "put"
    if op == "identity":
        return boto3.client("sts").get_caller_identity()["Arn"]
    raise ValueError(f"unknown op {op}")


def handler(event, context):
    try:
        return {"result": _call(event["op"], event)}
    except ClientError as e:
        error = e.response["Error"]
        return {"error": error["Code"], "message": error["Message"],
                "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}
