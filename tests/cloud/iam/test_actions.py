"""The action and resource the lab names for a request (serverless_lab/cloud/iam/actions.py),
as AWS's service authorization reference names them; what it does not name is allowed."""

import io
import json

import pytest

from serverless_lab.cloud.iam.actions import Asked, asked

ACCOUNT = "912345678901"
REGION = "us-east-1"


def _json_call(service, target, params):
    body = json.dumps(params).encode()
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/", "HTTP_X_AMZ_TARGET": target,
               "CONTENT_TYPE": "application/x-amz-json-1.0"}
    return asked(environ, service=service, body=body, account_id=ACCOUNT, region=REGION)


def _query_call(service, params):
    body = "&".join(f"{k}={v}" for k, v in params.items()).encode()
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/", "wsgi.input": io.BytesIO(body),
               "CONTENT_TYPE": "application/x-www-form-urlencoded",
               "CONTENT_LENGTH": str(len(body))}
    return asked(environ, service=service, body=body, account_id=ACCOUNT, region=REGION)


def _rest_call(service, method, path, query="", **headers):
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query,
               "HTTP_HOST": "127.0.0.1:4566", **headers}
    return asked(environ, service=service, body=b"", account_id=ACCOUNT, region=REGION)


TABLE = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/"


@pytest.mark.parametrize(("target", "params", "expected"), [
    ("DynamoDB_20120810.PutItem", {"TableName": "Orders"},
     [Asked("dynamodb:PutItem", TABLE + "Orders")]),
    ("DynamoDB_20120810.Query", {"TableName": "Orders", "IndexName": "byCustomer"},
     [Asked("dynamodb:Query", TABLE + "Orders/index/byCustomer")]),
    ("DynamoDB_20120810.BatchWriteItem", {"RequestItems": {"A": [], "B": []}},
     [Asked("dynamodb:BatchWriteItem", TABLE + "A"),
      Asked("dynamodb:BatchWriteItem", TABLE + "B")]),
    ("DynamoDB_20120810.TransactWriteItems", {"TransactItems": [
        {"Put": {"TableName": "A"}}, {"Update": {"TableName": "B"}},
        {"ConditionCheck": {"TableName": "A"}}, {"Put": {"TableName": "A"}}]},
     [Asked("dynamodb:PutItem", TABLE + "A"), Asked("dynamodb:UpdateItem", TABLE + "B"),
      Asked("dynamodb:ConditionCheckItem", TABLE + "A")]),
    ("DynamoDB_20120810.ListTables", {}, [Asked("dynamodb:ListTables", "*")]),
    ("DynamoDB_20120810.ExecuteStatement", {"Statement": "SELECT 1"}, []),
    ("DynamoDB_20120810.PutItem", {}, []),  # malformed: the service refuses it itself
])
def test_dynamodb(target, params, expected):
    assert _json_call("dynamodb", target, params) == expected


QUEUE_URL = f"http://127.0.0.1:4566/{ACCOUNT}/orders"
QUEUE = f"arn:aws:sqs:{REGION}:{ACCOUNT}:orders"


def test_sqs_in_both_protocols():
    assert _json_call("sqs", "AmazonSQS.SendMessageBatch", {"QueueUrl": QUEUE_URL}) == [
        Asked("sqs:SendMessage", QUEUE)]
    assert _query_call("sqs", {"Action": "DeleteMessage", "QueueUrl": QUEUE_URL}) == [
        Asked("sqs:DeleteMessage", QUEUE)]
    assert _json_call("sqs", "AmazonSQS.GetQueueUrl", {"QueueName": "orders"}) == [
        Asked("sqs:GetQueueUrl", QUEUE)]


def test_sns_events_kinesis_states_firehose():
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:alerts"
    assert _query_call("sns", {"Action": "Publish", "TopicArn": topic}) == [
        Asked("sns:Publish", topic)]
    assert _query_call("sns", {"Action": "Publish", "PhoneNumber": "+15555550100"}) == []
    bus = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/"
    assert _json_call("events", "AWSEvents.PutEvents", {"Entries": [
        {"Source": "a"}, {"EventBusName": "orders"}, {"EventBusName": bus + "default"}]}) == [
        Asked("events:PutEvents", bus + "default"), Asked("events:PutEvents", bus + "orders")]
    assert _json_call("kinesis", "Kinesis_20131202.PutRecords", {"StreamName": "clicks"}) == [
        Asked("kinesis:PutRecords", f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/clicks")]
    machine = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:orders"
    assert _json_call("states", "AWSStepFunctions.StartExecution",
                      {"stateMachineArn": machine}) == [Asked("states:StartExecution", machine)]
    assert _json_call("firehose", "Firehose_20150804.PutRecordBatch",
                      {"DeliveryStreamName": "archive"}) == [
        Asked("firehose:PutRecordBatch",
              f"arn:aws:firehose:{REGION}:{ACCOUNT}:deliverystream/archive")]


@pytest.mark.parametrize(("path", "query", "expected"), [
    ("/2015-03-31/functions/orders/invocations", "",
     f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders"),
    ("/2015-03-31/functions/orders/invocations", "Qualifier=live",
     f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders:live"),
    (f"/2015-03-31/functions/arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders:3/invocations",
     "", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:orders:3"),
])
def test_lambda_invoke(path, query, expected):
    assert _rest_call("lambda", "POST", path, query) == [
        Asked("lambda:InvokeFunction", expected)]


def test_lambda_calls_other_than_invoke_are_not_named():
    assert _rest_call("lambda", "GET", "/2015-03-31/functions/orders") == []


@pytest.mark.parametrize(("method", "path", "query", "headers", "expected"), [
    ("PUT", "/photos/in/a b.png", "", {},
     [Asked("s3:PutObject", "arn:aws:s3:::photos/in/a b.png")]),
    ("GET", "/photos/a.png", "", {}, [Asked("s3:GetObject", "arn:aws:s3:::photos/a.png")]),
    ("HEAD", "/photos/a.png", "", {}, [Asked("s3:GetObject", "arn:aws:s3:::photos/a.png")]),
    ("DELETE", "/photos/a.png", "x-id=DeleteObject", {},
     [Asked("s3:DeleteObject", "arn:aws:s3:::photos/a.png")]),
    ("GET", "/photos", "list-type=2&prefix=in%2F", {},
     [Asked("s3:ListBucket", "arn:aws:s3:::photos")]),
    ("PUT", "/thumbs/a.png", "", {"HTTP_X_AMZ_COPY_SOURCE": "photos/a.png"},
     [Asked("s3:PutObject", "arn:aws:s3:::thumbs/a.png"),
      Asked("s3:GetObject", "arn:aws:s3:::photos/a.png")]),
    ("PUT", "/photos/a.png", "tagging", {}, []),
    ("POST", "/photos", "delete", {}, []),
    ("PUT", "/photos/a.png", "", {"HTTP_HOST": "photos.s3.amazonaws.com"}, []),
])
def test_s3(method, path, query, headers, expected):
    assert _rest_call("s3", method, path, query, **headers) == expected


@pytest.mark.parametrize("service", ["logs", "xray", "sts", "iam", "cognito-idp"])
def test_services_the_lab_does_not_name_are_not_checked(service):
    assert _json_call(service, "Logs_20140328.PutLogEvents", {"logGroupName": "x"}) == []
