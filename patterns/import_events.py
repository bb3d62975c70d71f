"""AWS's sample event for a trigger, fitted to the template as the real trigger would send it.

Only what the template itself says is used, never a guess from the handler's code:
- an S3 event names the stack's own bucket (`${LogicalId}`, filled with its physical name when
  the scenario runs) and a key that passes the notification's prefix/suffix filter; since a
  real `ObjectCreated` notification means the object exists, the scenario first puts a small
  object there (content by the key's suffix, content/sample_events/objects/);
- a DynamoDB Streams record's Keys (and its NewImage, as the stream's view type includes) use
  the table's KeySchema attribute names and types, and its eventSourceARN names the table.
"""

import base64
import copy
import hashlib
import re
from pathlib import Path

from serverless_lab.cloud.clients import client as aws_client

SAMPLE_OBJECTS_DIR = Path(__file__).resolve().parent.parent / "content" / "sample_events" / \
    "objects"
# The content of the object an S3 event names, by the key's suffix (else plain text).
OBJECT_BY_SUFFIX = {".jpeg": "sample.jpeg", ".jpg": "sample.jpeg", ".png": "sample.png",
                    ".gif": "sample.gif", ".csv": "sample.csv", ".json": "sample.json"}
SAMPLE_KEY = "test/key"
KEY_VALUE = {"S": "101", "N": "101", "B": base64.b64encode(b"101").decode()}
PLACEHOLDER = re.compile(r"\$\{(\w+)\}")
PUT_STEP_NAME = "put {key} in {bucket}, as the S3 notification implies it exists"
PUT_NOTE = ("A real S3 notification means the object it names exists: the lab puts a small "
            "object there first (its content by the key's suffix), then invokes.")


def _resource_of(value, template: dict, kind: str, attribute: str | None = None) -> str | None:
    """The logical id value refers to (Ref, or Fn::GetAtt of attribute), if it is a resource
    of this type in the template."""
    logical_id = None
    if isinstance(value, dict) and attribute is None:
        logical_id = value.get("Ref")
    elif isinstance(value, dict) and "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        target = target.split(".", 1) if isinstance(target, str) else target
        if isinstance(target, list) and len(target) == 2 and target[1] == attribute:
            logical_id = target[0]
    resource = template.get("Resources", {}).get(logical_id) if isinstance(logical_id, str) \
        else None
    return logical_id if isinstance(resource, dict) and resource.get("Type") == kind else None


def s3_event_fit(event: dict, properties: dict, template: dict) -> tuple[dict, list[dict]]:
    """The S3 sample naming the template's bucket and a key its filter passes; with, for an
    ObjectCreated notification, the step that puts that object there first."""
    bucket = _resource_of(properties.get("Bucket"), template, "AWS::S3::Bucket")
    if bucket is None:
        return event, []
    rules = ((properties.get("Filter") or {}).get("S3Key") or {}).get("Rules") or []
    fixes = {str(rule.get("Name", "")).lower(): rule.get("Value") for rule in rules
             if isinstance(rule, dict) and isinstance(rule.get("Value"), str)}
    key = f"{fixes.get('prefix', '')}{SAMPLE_KEY}{fixes.get('suffix', '')}"
    kinds = properties.get("Events")
    kind = str((kinds[0] if isinstance(kinds, list) and kinds else kinds) or "")
    created = not kind.startswith("s3:ObjectRemoved")
    record = event["Records"][0]
    record["s3"]["bucket"].update(name=f"${{{bucket}}}", arn=f"arn:aws:s3:::${{{bucket}}}")
    record["s3"]["object"]["key"] = key
    if not created:
        record["eventName"] = "ObjectRemoved:Delete"
        for gone in ("size", "eTag"):
            record["s3"]["object"].pop(gone, None)
        return event, []
    detail = kind.removeprefix("s3:ObjectCreated:")
    record["eventName"] = f"ObjectCreated:{detail if detail not in ('', '*') else 'Put'}"
    body = sample_object(key)
    record["s3"]["object"].update(size=len(body), eTag=hashlib.md5(body).hexdigest())
    put = {"name": PUT_STEP_NAME.format(bucket=bucket, key=key),
           "aws": {"service": "s3", "operation": "put_object",
                   "params": {"Bucket": f"${{{bucket}}}", "Key": key,
                              "Body": {"base64": base64.b64encode(body).decode()}}}}
    return event, [put]


def sample_object(key: str) -> bytes:
    """The small object the lab puts at key: an image for an image's suffix, and so on."""
    suffix = Path(key).suffix.lower()
    return (SAMPLE_OBJECTS_DIR / OBJECT_BY_SUFFIX.get(suffix, "sample.txt")).read_bytes()


def dynamodb_event_fit(event: dict, properties: dict, template: dict) -> dict:
    """The DynamoDB Streams sample with the table's own key attributes, names and types."""
    table = _resource_of(properties.get("Stream"), template, "AWS::DynamoDB::Table",
                         "StreamArn")
    if table is None:
        return event
    table_properties = template["Resources"][table].get("Properties") or {}
    types = {d.get("AttributeName"): d.get("AttributeType")
             for d in table_properties.get("AttributeDefinitions") or [] if isinstance(d, dict)}
    schema = [k.get("AttributeName") for k in table_properties.get("KeySchema") or []
              if isinstance(k, dict) and isinstance(k.get("AttributeName"), str)]
    if not schema:
        return event
    keys = {name: {types.get(name) if types.get(name) in KEY_VALUE else "S":
                   KEY_VALUE.get(types.get(name), "101")} for name in schema}
    view = str((table_properties.get("StreamSpecification") or {}).get("StreamViewType")
               or "NEW_AND_OLD_IMAGES")
    record = event["Records"][0]
    stream = record["dynamodb"]
    image = {k: v for k, v in stream.get("NewImage", {}).items() if k != "Id"}
    stream["Keys"] = keys
    stream["StreamViewType"] = view
    stream.pop("NewImage", None)
    if view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES"):  # an INSERT has no old image
        stream["NewImage"] = {**image, **copy.deepcopy(keys)}
    record["eventSourceARN"] = re.sub(r":table/[^/]+/", f":table/${{{table}}}/",
                                      record["eventSourceARN"])
    return event


def stack_physical_ids(*, client, learner: str, stack: str) -> dict[str, str]:
    """Each resource of the learner's deployed stack: logical id -> physical id."""
    listed = _sandbox_client(client, learner, "cloudformation").describe_stack_resources(
        StackName=stack)["StackResources"]
    # moto lists a resource it could not create without an id: it is not in the stack.
    return {r["LogicalResourceId"]: r.get("PhysicalResourceId", "") for r in listed
            if "LogicalResourceId" in r}


def aws_steps_run(*, client, learner: str, steps: list[dict],
                  physical_ids: dict[str, str]) -> None:
    """Make the AWS calls of steps (a trigger_sample's steps before the invoke) with the
    learner's credentials, as a scenario run does; an error raises botocore's ClientError."""
    for step in steps:
        call = placeholders_fill(step["aws"], physical_ids)
        params = {k: base64.b64decode(v["base64"]) if isinstance(v, dict) and list(v) == [
            "base64"] else v for k, v in call.get("params", {}).items()}
        getattr(_sandbox_client(client, learner, call["service"]), call["operation"])(**params)


def _sandbox_client(client, learner: str, service: str):
    found = client.sandbox(learner)
    return aws_client(service, endpoint_url=found["endpoint_url"],
                      credentials=found["credentials"], region=found["region"])


def placeholders_fill(document, physical_ids: dict[str, str]):
    """document with each `${LogicalId}` replaced by that resource's physical id, as a scenario
    run does (patterns/runs.py); an unknown one is left as it is."""
    if isinstance(document, str):
        return PLACEHOLDER.sub(lambda m: physical_ids.get(m[1], m[0]), document)
    if isinstance(document, dict):
        return {k: placeholders_fill(v, physical_ids) for k, v in document.items()}
    if isinstance(document, list):
        return [placeholders_fill(v, physical_ids) for v in document]
    return document


__all__ = ["PUT_NOTE", "aws_steps_run", "dynamodb_event_fit", "placeholders_fill",
           "s3_event_fit", "sample_object", "stack_physical_ids"]
