"""What a sandbox holds now, for the "Your sandbox" panel: tables and items, buckets and
objects, queues and their messages, topics, streams, event source mappings, Step Functions
executions and log groups, as plain JSON.

The reads are AWS API calls answered by moto inside this process, in the sandbox's own
account, without going through the lab's front door: they are not the learner's calls, so
they appear in no trace, count against no quota and never keep a run from being quiet.
Queue messages are read from moto's queue itself, because ReceiveMessage would change what
it shows (each receive raises a message's receive count, hides it for the visibility timeout
and may move it to the dead-letter queue).
"""

import base64
import contextvars
import io
import json
import mimetypes
import threading
from urllib.parse import urlsplit

from boto3.dynamodb.types import TypeDeserializer
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.sqs.models import sqs_backends

from .clients import REGION
from .clients import client as lab_client

ITEMS_PER_PAGE = 20
MAX_ITEMS_PER_PAGE = 100
OBJECTS_LISTED = 50
MESSAGES_SHOWN = 20
EXECUTIONS_SHOWN = 10
LOG_EVENTS_PER_STREAM = 10
LOG_STREAMS_PER_GROUP = 3
PREVIEW_BYTES = 2048
MAX_DOWNLOAD_BYTES = 10 * 2**20
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/x-ndjson",
              "application/yaml", "application/csv")
TEXT_SUFFIXES = (".txt", ".json", ".csv", ".md", ".log", ".xml", ".yaml", ".yml", ".html",
                 ".ndjson", ".tsv")
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
NO_SUCH_TABLE = "no table {table!r} in this sandbox"
NO_SUCH_OBJECT = "no object {key!r} in bucket {bucket!r} of this sandbox"
TOO_LARGE = "the object is {size} bytes; the panel downloads at most {limit}"
BAD_START = "start is the page token the previous page gave"

# Any key will do: moto answers for the account the request names, which the lab sets.
_KEYS = {"AccessKeyId": "AKIALABINVENTORY0000", "SecretAccessKey": "inventory"}
_ENDPOINT = "http://inventory.lab.internal"
_account = contextvars.ContextVar("inventory_account")
_moto = None
_clients: dict[tuple[str, str], object] = {}  # shared: the account is the read's, per thread
_moto_lock = threading.Lock()


class InventoryError(ValueError):
    """A table, page or object this sandbox does not have."""


def inventory_read(*, account_id: str, region: str = REGION, stack: str | None = None,
                   table: str | None = None, start: str | None = None,
                   limit: int = ITEMS_PER_PAGE) -> dict:
    """What the sandbox holds (with `stack`, only that stack's resources and its functions'
    log groups and mappings), each table with one page of items: the first page, or for
    `table` the page after `start` (the `next` token an earlier answer gave)."""
    limit = max(1, min(int(limit), MAX_ITEMS_PER_PAGE))
    token = _account.set(account_id)
    try:
        mine = _stack_ids(region, stack) if stack else None
        if mine is not None and not mine:
            return inventory_empty(account_id=account_id, stack=stack)

        names = [n for n in _tables(region) if mine is None or n in mine]
        if table is not None and table not in names:
            raise InventoryError(NO_SUCH_TABLE.format(table=table))
        return {
            "account_id": account_id, "stack": stack, "deployed": True,
            "tables": [_table(region, name, start if name == table else None, limit)
                       for name in names],
            "buckets": _buckets(region, mine),
            "queues": _queues(region, account_id, mine),
            "topics": _topics(region, mine),
            "streams": _streams(region, mine),
            "mappings": [m for m in _mappings(region)
                         if _wanted(mine, m["uuid"], m["function"])],
            "state_machines": _state_machines(region, mine),
            "log_groups": _log_groups(region, mine),
        }
    finally:
        _account.reset(token)


def inventory_empty(*, account_id: str | None, stack: str | None) -> dict:
    """What a sandbox without the stack (or a learner without a sandbox) holds: nothing."""
    return {"account_id": account_id, "stack": stack, "deployed": False,
            **{kind: [] for kind in KINDS}}


KINDS = ("tables", "buckets", "queues", "topics", "streams", "mappings", "state_machines",
         "log_groups")


def _wanted(mine: set[str] | None, *ids: str) -> bool:
    """Whether a resource known by these ids is shown: all are without a stack."""
    return mine is None or any(i in mine for i in ids)


def _stack_ids(region, stack: str) -> set[str]:
    """The physical ids of the stack's resources (empty: no such stack)."""
    cloudformation = _client("cloudformation", region)
    try:
        resources = cloudformation.describe_stack_resources(StackName=stack)["StackResources"]
    except ClientError:
        return set()
    ids = {r["PhysicalResourceId"] for r in resources if r.get("PhysicalResourceId")}
    # A queue's physical id is its URL on AWS's host; ListQueues answers with the lab's.
    return ids | {r["PhysicalResourceId"].rsplit("/", 1)[-1] for r in resources
                  if r.get("ResourceType") == "AWS::SQS::Queue" and r.get("PhysicalResourceId")}


def inventory_object(*, account_id: str, bucket: str, key: str, region: str = REGION) -> dict:
    """One object of the sandbox's buckets, its bytes in base64 (for a download)."""
    token = _account.set(account_id)
    try:
        s3 = _client("s3", region)
        if bucket not in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
            raise InventoryError(NO_SUCH_OBJECT.format(key=key, bucket=bucket))
        try:
            head = s3.head_object(Bucket=bucket, Key=key)
        except ClientError:
            raise InventoryError(NO_SUCH_OBJECT.format(key=key, bucket=bucket)) from None
        if head["ContentLength"] > MAX_DOWNLOAD_BYTES:
            raise InventoryError(TOO_LARGE.format(size=head["ContentLength"],
                                                  limit=MAX_DOWNLOAD_BYTES))
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        return {"bucket": bucket, "key": key, "size": len(body),
                "content_type": _content_type(key, head),
                "body_base64": base64.b64encode(body).decode()}
    finally:
        _account.reset(token)


# --- DynamoDB -------------------------------------------------------------------------------

def _tables(region) -> list[str]:
    dynamodb, names, kwargs = _client("dynamodb", region), [], {}
    while True:
        page = dynamodb.list_tables(**kwargs)
        names += page.get("TableNames", [])
        if "LastEvaluatedTableName" not in page:
            return names
        kwargs = {"ExclusiveStartTableName": page["LastEvaluatedTableName"]}


def _table(region, name, start, limit) -> dict:
    dynamodb = _client("dynamodb", region)
    described = dynamodb.describe_table(TableName=name)["Table"]
    scan = {"TableName": name, "Limit": limit}
    if start:
        try:
            scan["ExclusiveStartKey"] = json.loads(base64.urlsafe_b64decode(start.encode()))
        except (ValueError, TypeError):
            raise InventoryError(BAD_START) from None
    try:
        page = dynamodb.scan(**scan)
    except ClientError as e:
        raise InventoryError(BAD_START) from e
    deserializer = TypeDeserializer()
    last = page.get("LastEvaluatedKey")
    return {
        "name": name,
        "keys": [k["AttributeName"] for k in described["KeySchema"]],
        "item_count": dynamodb.scan(TableName=name, Select="COUNT")["Count"],
        "items": [{k: _plain(deserializer.deserialize(v)) for k, v in item.items()}
                  for item in page.get("Items", [])],
        "start": start,
        "next": base64.urlsafe_b64encode(json.dumps(last).encode()).decode() if last else None,
        "stream": (described.get("StreamSpecification") or {}).get("StreamViewType"),
    }


def _plain(value):
    """An item's value as JSON can carry it: numbers as numbers, binary as base64, sets as
    sorted lists."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_plain(v) for v in value), key=str)
    if hasattr(value, "value") and isinstance(value.value, bytes):  # boto3's Binary
        return {"base64": base64.b64encode(value.value).decode()}
    return value


# --- S3 -------------------------------------------------------------------------------------

def _buckets(region, mine) -> list[dict]:
    s3 = _client("s3", region)
    found = []
    for bucket in s3.list_buckets().get("Buckets", []):
        if not _wanted(mine, bucket["Name"]):
            continue
        listed = s3.list_objects_v2(Bucket=bucket["Name"], MaxKeys=OBJECTS_LISTED)
        objects = [_object(s3, bucket["Name"], o) for o in listed.get("Contents", [])]
        found.append({"name": bucket["Name"], "objects": objects,
                      "truncated": listed.get("IsTruncated", False)})
    return found


def _object(s3, bucket: str, listed: dict) -> dict:
    key, size = listed["Key"], listed["Size"]
    content_type = _content_type(key, s3.head_object(Bucket=bucket, Key=key))
    kind = ("image" if content_type in IMAGE_TYPES
            else "text" if content_type.startswith(TEXT_TYPES) or key.endswith(TEXT_SUFFIXES)
            else "binary")
    found = {"key": key, "size": size, "content_type": content_type, "kind": kind,
             "last_modified": listed["LastModified"].isoformat()}
    if kind == "text" and size:
        head = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{PREVIEW_BYTES - 1}")
        found["preview"] = head["Body"].read().decode("utf-8", "replace")
        found["preview_truncated"] = size > PREVIEW_BYTES
    return found


def _content_type(key: str, head: dict) -> str:
    """The object's ContentType, or where it was stored without one (moto then says
    binary/octet-stream) the type its name suggests, as the S3 console guesses it."""
    stored = head.get("ContentType") or ""
    if stored in ("", "binary/octet-stream", "application/octet-stream"):
        return mimetypes.guess_type(key)[0] or stored or "binary/octet-stream"
    return stored


# --- SQS ------------------------------------------------------------------------------------

def _queues(region, account_id, mine) -> list[dict]:
    sqs = _client("sqs", region)
    found = []
    for url in sqs.list_queues().get("QueueUrls", []):
        if not _wanted(mine, url, url.rsplit("/", 1)[-1]):
            continue
        attributes = sqs.get_queue_attributes(QueueUrl=url,
                                              AttributeNames=["All"])["Attributes"]
        name = url.rsplit("/", 1)[-1]
        redrive = json.loads(attributes.get("RedrivePolicy") or "{}")
        found.append({
            "name": name, "url": url, "arn": attributes.get("QueueArn"),
            "visible": int(attributes.get("ApproximateNumberOfMessages", 0)),
            "in_flight": int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
            "delayed": int(attributes.get("ApproximateNumberOfMessagesDelayed", 0)),
            "dead_letter_queue": (redrive.get("deadLetterTargetArn") or "").rsplit(":", 1)[-1]
            or None,
            "max_receive_count": redrive.get("maxReceiveCount"),
            "messages": _messages(account_id, region, name),
        })
    by_name = {q["name"]: q for q in found}
    for queue in found:  # the dead-letter queue's depth beside the queue that feeds it
        dlq = by_name.get(queue["dead_letter_queue"] or "")
        queue["dead_letter_depth"] = (dlq["visible"] + dlq["in_flight"]) if dlq else None
    return found


def _messages(account_id, region, name) -> list[dict]:
    """The queue's messages as moto holds them: reading them receives nothing."""
    queue = sqs_backends[account_id][region].queues.get(name)
    if queue is None:
        return []
    shown = []
    for message in list(queue._messages)[:MESSAGES_SHOWN]:  # noqa: SLF001 - see the docstring
        shown.append({"id": message.id, "body": message.body,
                      "receive_count": message.approximate_receive_count,
                      "visible": message.visible and not message.delayed,
                      "group_id": message.group_id})
    return shown


# --- SNS, Kinesis, event source mappings ----------------------------------------------------

def _topics(region, mine) -> list[dict]:
    sns = _client("sns", region)
    found = []
    for topic in sns.list_topics().get("Topics", []):
        arn = topic["TopicArn"]
        if not _wanted(mine, arn):
            continue
        subscriptions = sns.list_subscriptions_by_topic(TopicArn=arn).get("Subscriptions", [])
        found.append({"name": arn.rsplit(":", 1)[-1], "arn": arn,
                      "subscriptions": [{"protocol": s["Protocol"], "endpoint": s["Endpoint"]}
                                        for s in subscriptions]})
    return found


def _streams(region, mine) -> list[dict]:
    kinesis = _client("kinesis", region)
    found = []
    for name in kinesis.list_streams().get("StreamNames", []):
        if not _wanted(mine, name):
            continue
        described = kinesis.describe_stream(StreamName=name)["StreamDescription"]
        found.append({"name": name, "status": described["StreamStatus"],
                      "shards": [{"id": s["ShardId"],
                                  "open": "EndingSequenceNumber"
                                          not in s["SequenceNumberRange"],
                                  "hash_key_range": [s["HashKeyRange"]["StartingHashKey"],
                                                     s["HashKeyRange"]["EndingHashKey"]]}
                                 for s in described["Shards"]]})
    return found


def _mappings(region) -> list[dict]:
    mappings = _client("lambda", region).list_event_source_mappings().get(
        "EventSourceMappings", [])
    return [{"uuid": m["UUID"], "source": m.get("EventSourceArn", "").rsplit(":", 1)[-1],
             "source_arn": m.get("EventSourceArn"),
             "function": m.get("FunctionArn", "").rsplit(":", 1)[-1],
             "state": m.get("State"), "batch_size": m.get("BatchSize")} for m in mappings]


# --- Step Functions, CloudWatch Logs --------------------------------------------------------

def _state_machines(region, mine) -> list[dict]:
    sfn = _client("stepfunctions", region)
    found = []
    for machine in sfn.list_state_machines().get("stateMachines", []):
        if not _wanted(mine, machine["stateMachineArn"]):
            continue
        executions = sfn.list_executions(stateMachineArn=machine["stateMachineArn"],
                                         maxResults=EXECUTIONS_SHOWN).get("executions", [])
        found.append({"name": machine["name"], "arn": machine["stateMachineArn"],
                      "executions": [_execution(sfn, e) for e in executions]})
    return found


def _execution(sfn, execution: dict) -> dict:
    arn = execution["executionArn"]
    history = sfn.get_execution_history(executionArn=arn).get("events", [])
    return {"name": execution["name"], "arn": arn, "status": execution["status"],
            "started": execution["startDate"].isoformat(),
            "history": [{"id": e["id"], "type": e["type"],
                         "state": _state_name(e)} for e in history]}


def _state_name(event: dict) -> str | None:
    for key, details in event.items():
        if key.endswith("EventDetails") and isinstance(details, dict) and "name" in details:
            return details["name"]
    return None


def _log_groups(region, mine) -> list[dict]:
    logs = _client("logs", region)
    found = []
    for group in logs.describe_log_groups().get("logGroups", []):
        name = group["logGroupName"]
        if not _wanted(mine, name, name.removeprefix("/aws/lambda/")):
            continue
        streams = logs.describe_log_streams(logGroupName=name, orderBy="LastEventTime",
                                            descending=True).get("logStreams", [])
        found.append({"name": name, "streams": [
            {"name": s["logStreamName"],
             "events": [e["message"] for e in logs.get_log_events(
                 logGroupName=name, logStreamName=s["logStreamName"],
                 limit=LOG_EVENTS_PER_STREAM, startFromHead=False).get("events", [])]}
            for s in streams[:LOG_STREAMS_PER_GROUP]]})
    return found


# --- answering in-process -------------------------------------------------------------------

def _client(service: str, region: str):
    """A boto3 client whose requests moto answers in this process, in the account of the
    read under way (`_account`), instead of going out over HTTP."""
    with _moto_lock:
        made = _clients.get((service, region))
        if made is None:
            made = lab_client(service, endpoint_url=_ENDPOINT, credentials=_KEYS, region=region,
                              config=Config(retries={"max_attempts": 1}))
            made.meta.events.register("before-send", _answer_in_process)
            _clients[(service, region)] = made
    return made


class _Raw(io.BytesIO):
    """An answer's body as botocore reads it: whole (stream) or as a file (S3's Body)."""

    def stream(self, **_):
        yield self.getvalue()


def _answer_in_process(request, **_) -> AWSResponse:
    from werkzeug.test import Client

    url = urlsplit(request.url)
    headers = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()}
    headers["x-moto-account-id"] = _account.get()
    body = request.body
    if hasattr(body, "read"):
        body = body.read()
    answer = Client(_moto_app()).open(path=url.path, query_string=url.query,
                                      method=request.method, headers=headers, data=body or b"")
    return AWSResponse(request.url, answer.status_code, dict(answer.headers), _Raw(answer.data))


def _moto_app():
    global _moto
    with _moto_lock:
        if _moto is None:
            from moto.moto_server.werkzeug_app import (
                DomainDispatcherApplication,
                create_backend_app,
            )

            _moto = DomainDispatcherApplication(create_backend_app)
        return _moto
