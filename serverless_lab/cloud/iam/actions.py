"""The IAM action and resource a request to the lab cloud asks for, as AWS names them.

Named for the services the catalog's patterns call (DynamoDB, SQS, SNS, EventBridge,
Kinesis, Step Functions, S3's common object and bucket operations, Lambda Invoke,
Firehose). Any other service or operation is not named, and so not checked: it is allowed
(never a false denial). Among those: CloudWatch Logs and X-Ray (Lambda's own writes),
STS, IAM, DynamoDB Streams and PartiQL, S3's DeleteObjects, subresources (?acl, ?tagging...)
and virtual-hosted addressing, API Gateway's @connections, Cognito.
A call naming several resources (BatchWriteItem, TransactWriteItems, PutEvents to several
buses) asks for each: every one must be allowed. A JSON or query request whose body is over
1 MiB (the most the lab reads before moto does) is not named either.
"""

import json
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote

from .. import request_auth


@dataclass(frozen=True)
class Asked:
    action: str  # e.g. dynamodb:PutItem
    resource: str  # an ARN, or "*" for actions without resource-level permissions


DYNAMODB_TABLE_OPS = {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan",
                      "DescribeTable", "UpdateTable", "DeleteTable", "DescribeTimeToLive"}
DYNAMODB_TRANSACT = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                     "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}
# SQS operations and the action each needs (the batch forms need the single action).
SQS_OPS = {"SendMessage": "SendMessage", "SendMessageBatch": "SendMessage",
           "ReceiveMessage": "ReceiveMessage", "DeleteMessage": "DeleteMessage",
           "DeleteMessageBatch": "DeleteMessage",
           "ChangeMessageVisibility": "ChangeMessageVisibility",
           "ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
           "GetQueueAttributes": "GetQueueAttributes", "SetQueueAttributes": "SetQueueAttributes",
           "GetQueueUrl": "GetQueueUrl", "PurgeQueue": "PurgeQueue"}
SNS_OPS = {"Publish": "Publish", "PublishBatch": "Publish", "Subscribe": "Subscribe",
           "GetTopicAttributes": "GetTopicAttributes",
           "SetTopicAttributes": "SetTopicAttributes",
           "ListSubscriptionsByTopic": "ListSubscriptionsByTopic"}
KINESIS_OPS = {"PutRecord", "PutRecords", "DescribeStream", "DescribeStreamSummary",
               "GetShardIterator", "ListShards"}
STATES_OPS = {"StartExecution": "stateMachineArn", "StartSyncExecution": "stateMachineArn",
              "DescribeStateMachine": "stateMachineArn", "DescribeExecution": "executionArn",
              "StopExecution": "executionArn", "GetExecutionHistory": "executionArn"}
FIREHOSE_OPS = {"PutRecord", "PutRecordBatch"}
LAMBDA_INVOKE_PREFIX = "/2015-03-31/functions/"


def asked(environ, *, service: str, body: bytes, account_id: str,
          region: str) -> list[Asked]:
    """What the request needs allowed; empty when the lab does not name it (allowed)."""
    reader = READERS.get(service)
    if reader is None:
        return []
    try:
        return reader(environ, body, account_id, region)
    except (ValueError, TypeError, AttributeError, KeyError):
        return []  # a request the service itself will refuse as malformed


def _json(body: bytes) -> dict:
    found = json.loads(body) if body else {}
    return found if isinstance(found, dict) else {}


def _target_op(environ, prefix: str) -> str | None:
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    head, _, op = target.rpartition(".")
    return op if head == prefix else None


def _dynamodb(environ, body, account_id, region):
    op = _target_op(environ, "DynamoDB_20120810")
    if op is None:
        return []
    params = _json(body)
    table = f"arn:aws:dynamodb:{region}:{account_id}:table/"
    if op in DYNAMODB_TABLE_OPS:
        resource = table + params["TableName"]
        if op in ("Query", "Scan") and params.get("IndexName"):
            resource += "/index/" + params["IndexName"]
        return [Asked(f"dynamodb:{op}", resource)]
    if op in ("BatchGetItem", "BatchWriteItem"):
        return [Asked(f"dynamodb:{op}", table + name) for name in params["RequestItems"]]
    if op in ("TransactWriteItems", "TransactGetItems"):
        found = []
        for item in params["TransactItems"]:
            for kind, spec in item.items():
                if kind in DYNAMODB_TRANSACT:
                    found.append(Asked(f"dynamodb:{DYNAMODB_TRANSACT[kind]}",
                                       table + spec["TableName"]))
        return list(dict.fromkeys(found))
    if op == "ListTables":
        return [Asked("dynamodb:ListTables", "*")]
    return []


def _sqs(environ, body, account_id, region):
    op = _target_op(environ, "AmazonSQS")
    if op is not None:
        params = _json(body)
    else:
        params = request_auth.query_parameters(environ)
        op = params.get("Action")
    if op not in SQS_OPS:
        return [Asked("sqs:ListQueues", "*")] if op == "ListQueues" else []
    if op == "GetQueueUrl":
        owner = params.get("QueueOwnerAWSAccountId") or account_id
        return [Asked("sqs:GetQueueUrl", f"arn:aws:sqs:{region}:{owner}:{params['QueueName']}")]
    parts = params["QueueUrl"].rstrip("/").split("/")
    return [Asked(f"sqs:{SQS_OPS[op]}", f"arn:aws:sqs:{region}:{parts[-2]}:{parts[-1]}")]


def _sns(environ, body, account_id, region):
    params = request_auth.query_parameters(environ)
    op = params.get("Action")
    if op in SNS_OPS and params.get("TopicArn"):
        return [Asked(f"sns:{SNS_OPS[op]}", params["TopicArn"])]
    return []


def _events(environ, body, account_id, region):
    if _target_op(environ, "AWSEvents") != "PutEvents":
        return []
    buses = []
    for entry in _json(body)["Entries"]:
        bus = entry.get("EventBusName") or "default"
        if not bus.startswith("arn:"):
            bus = f"arn:aws:events:{region}:{account_id}:event-bus/{bus}"
        buses.append(Asked("events:PutEvents", bus))
    return list(dict.fromkeys(buses))


def _kinesis(environ, body, account_id, region):
    op = _target_op(environ, "Kinesis_20131202")
    if op not in KINESIS_OPS:
        return []
    params = _json(body)
    stream = params.get("StreamARN") or \
        f"arn:aws:kinesis:{region}:{account_id}:stream/{params['StreamName']}"
    return [Asked(f"kinesis:{op}", stream)]


def _states(environ, body, account_id, region):
    op = _target_op(environ, "AWSStepFunctions")
    if op not in STATES_OPS:
        return []
    return [Asked(f"states:{op}", _json(body)[STATES_OPS[op]])]


def _firehose(environ, body, account_id, region):
    op = _target_op(environ, "Firehose_20150804")
    if op not in FIREHOSE_OPS:
        return []
    name = _json(body)["DeliveryStreamName"]
    stream = f"arn:aws:firehose:{region}:{account_id}:deliverystream/{name}"
    return [Asked(f"firehose:{op}", stream)]


def _lambda(environ, body, account_id, region):
    path = environ.get("PATH_INFO", "")
    if environ["REQUEST_METHOD"] != "POST" or not path.startswith(LAMBDA_INVOKE_PREFIX) \
            or not path.endswith("/invocations"):
        return []
    name = unquote(path[len(LAMBDA_INVOKE_PREFIX):-len("/invocations")])
    qualifier = parse_qs(environ.get("QUERY_STRING", "")).get("Qualifier", [None])[0]
    if name.startswith("arn:"):
        arn = name
    elif ":function:" in name:  # 123456789012:function:name
        owner, _, rest = name.partition(":function:")
        arn = f"arn:aws:lambda:{region}:{owner}:function:{rest}"
    else:
        arn = f"arn:aws:lambda:{region}:{account_id}:function:{name}"
    if qualifier and arn.count(":") == 6:
        arn += ":" + qualifier
    return [Asked("lambda:InvokeFunction", arn)]


S3_OBJECT_METHODS = {"GET": "GetObject", "HEAD": "GetObject", "PUT": "PutObject",
                     "DELETE": "DeleteObject"}
# Query parameters that keep a request an object (or bucket listing) operation.
S3_PLAIN_QUERY = {"uploadId", "partNumber", "uploads", "list-type", "prefix", "delimiter",
                  "max-keys", "continuation-token", "start-after", "marker", "encoding-type",
                  "fetch-owner", "x-id", "response-content-type",
                  "response-content-disposition"}


def _s3(environ, body, account_id, region):
    host = environ.get("HTTP_HOST", "").rsplit(":", 1)[0]
    if not (host in ("localhost", "") or host.replace(".", "").isdigit()):
        return []  # virtual-hosted addressing: not named
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    if any(key not in S3_PLAIN_QUERY and not key.startswith("X-Amz-") for key in query):
        return []  # a subresource (?acl, ?tagging, ?delete...): not named
    method = environ["REQUEST_METHOD"]
    bucket, _, key = environ.get("PATH_INFO", "/").lstrip("/").partition("/")  # decoded
    if not bucket:
        return [Asked("s3:ListAllMyBuckets", "*")] if method == "GET" else []
    if not key:
        if method in ("GET", "HEAD"):
            return [Asked("s3:ListBucket", f"arn:aws:s3:::{bucket}")]
        return []
    if method == "POST" and ("uploads" in query or "uploadId" in query):
        return [Asked("s3:PutObject", f"arn:aws:s3:::{bucket}/{key}")]
    if method not in S3_OBJECT_METHODS:
        return []
    found = [Asked(f"s3:{S3_OBJECT_METHODS[method]}", f"arn:aws:s3:::{bucket}/{key}")]
    source = environ.get("HTTP_X_AMZ_COPY_SOURCE")
    if method == "PUT" and source:  # CopyObject reads its source too
        found.append(Asked("s3:GetObject",
                           "arn:aws:s3:::" + unquote(source.split("?")[0]).lstrip("/")))
    return found


READERS = {"dynamodb": _dynamodb, "sqs": _sqs, "sns": _sns, "events": _events,
           "kinesis": _kinesis, "states": _states, "firehose": _firehose,
           "lambda": _lambda, "s3": _s3}
