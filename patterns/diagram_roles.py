"""The IAM role boundaries of an architecture diagram, read from the SAM template: which role
each function, state machine or service acts with, and what that role's policies allow.

A SAM function or state machine without a `Role` gets a role SAM generates, `<LogicalId>Role`,
holding its `Policies` (policy templates resolved to the resources they name) plus what SAM adds
by itself: CloudWatch Logs for every function, the poller's managed policy for a queue or stream
event, and sending to on-failure destinations. A role the template declares (AWS::IAM::Role) is
drawn around whatever refers to it, such as a Firehose stream or an API's integration.
"""

import json
import re
from dataclasses import dataclass, field

from .template_refs import refs

SAM_TYPES = ("AWS::Serverless::Function", "AWS::Serverless::StateMachine")
PRINCIPALS = {"lambda.amazonaws.com": "Lambda", "states.amazonaws.com": "Step Functions",
              "firehose.amazonaws.com": "Data Firehose", "apigateway.amazonaws.com": "API Gateway",
              "events.amazonaws.com": "EventBridge", "scheduler.amazonaws.com": "Scheduler",
              "pipes.amazonaws.com": "EventBridge Pipes"}
# SAM policy templates: what each allows on the resource it names.
TEMPLATE_GRANTS = {
    "DynamoDBCrudPolicy": "read/write", "DynamoDBReadPolicy": "read",
    "DynamoDBWritePolicy": "write", "S3CrudPolicy": "read/write", "S3ReadPolicy": "read",
    "S3WritePolicy": "write", "SQSSendMessagePolicy": "send to", "SQSPollerPolicy": "poll",
    "SNSPublishMessagePolicy": "publish to", "KinesisCrudPolicy": "read/write",
    "EventBridgePutEventsPolicy": "put events on", "StepFunctionsExecutionPolicy": "start",
    "LambdaInvokePolicy": "invoke"}
# Managed policies SAM attaches to a function's role for an event source it polls. They name
# no resource: each allows reading every queue or stream in the account.
POLLER_POLICIES = {"SQS": ("AWSLambdaSQSQueueExecutionRole", "poll any SQS queue"),
                   "Kinesis": ("AWSLambdaKinesisExecutionRole", "read any Kinesis stream"),
                   "DynamoDB": ("AWSLambdaDynamoDBExecutionRole", "read any DynamoDB stream"),
                   "MSK": ("AWSLambdaMSKExecutionRole", "read any MSK cluster")}
DESTINATION_ACTIONS = {"SQS": "sqs:SendMessage", "SNS": "sns:Publish",
                       "Lambda": "lambda:InvokeFunction", "EventBridge": "events:PutEvents"}
NAME_PROPERTIES = ("BucketName", "TableName", "QueueName", "TopicName", "Name", "StreamName",
                   "FunctionName", "StateMachineName")


@dataclass
class RoleBoundary:
    role: str  # the role's logical id: SAM's <LogicalId>Role, or the template's own
    assumed_by: str  # the service that assumes it: Lambda, Step Functions, Data Firehose...
    generated: bool  # made by SAM for one function or state machine (not in the template)
    members: list[str] = field(default_factory=list)  # the diagram's nodes acting with it
    allows: list[str] = field(default_factory=list)  # one grant each: "write OrdersTable"


def policy_targets(value, resources: dict) -> set[str]:
    """The resources a policy's arguments name: by Ref/GetAtt/Sub, or by repeating the name
    (BucketName, TableName...) a resource is given in the template."""
    found = refs(value) & resources.keys()
    names = {_key(p.get(k)): logical for logical, r in resources.items()
             for p in [r.get("Properties") or {}] for k in NAME_PROPERTIES if p.get(k)}
    for argument in (value.values() if isinstance(value, dict) else []):
        if _key(argument) in names:
            found.add(names[_key(argument)])
    return found


def role_boundaries(resources: dict, nodes: dict) -> list[RoleBoundary]:
    boundaries: dict[str, RoleBoundary] = {}
    for logical_id, resource in resources.items():
        if resource.get("Type") not in SAM_TYPES or logical_id not in nodes:
            continue
        properties = resource.get("Properties") or {}
        if properties.get("Role"):
            # A role of the template's own is drawn below, around all that refers to it; one
            # made outside the template says nothing here about what it allows.
            continue
        function = resource["Type"] == "AWS::Serverless::Function"
        boundary = RoleBoundary(f"{logical_id}Role", "Lambda" if function else "Step Functions",
                                generated=True, members=[logical_id])
        boundary.allows += [_grant(policy, resources) for policy in
                            properties.get("Policies") or []]
        if function:
            boundary.allows.insert(0, "write CloudWatch Logs (AWSLambdaBasicExecutionRole)")
            boundary.allows += _implicit_function_grants(properties, resources)
        boundaries[boundary.role] = boundary
    for logical_id, resource in resources.items():
        if resource.get("Type") == "AWS::IAM::Role":
            members = [n for n, r in resources.items()
                       if n in nodes and logical_id in refs(r.get("Properties"))]
            if members:
                boundaries[logical_id] = _declared_role(logical_id, resource, resources,
                                                        members)
    return list(boundaries.values())


def _declared_role(logical_id: str, resource: dict, resources: dict,
                   members: list[str]) -> RoleBoundary:
    properties = resource.get("Properties") or {}
    principals = []
    for statement in (properties.get("AssumeRolePolicyDocument") or {}).get("Statement", []):
        services = (statement.get("Principal") or {}).get("Service", [])
        principals += services if isinstance(services, list) else [services]
    boundary = RoleBoundary(logical_id, ", ".join(PRINCIPALS.get(p, p) for p in principals)
                            or "AWS", generated=False, members=members)
    for managed in properties.get("ManagedPolicyArns") or []:
        boundary.allows.append(_grant(managed, resources))
    for policy in properties.get("Policies") or []:
        boundary.allows += [_statement(s, resources)
                            for s in _statements(policy.get("PolicyDocument"))]
    return boundary


def _implicit_function_grants(properties: dict, resources: dict) -> list[str]:
    grants = []
    for event in (properties.get("Events") or {}).values():
        kind = event.get("Type")
        if kind in POLLER_POLICIES:
            policy, grant = POLLER_POLICIES[kind]
            grants.append(f"{grant} ({policy})")
        failure = ((event.get("Properties") or {}).get("DestinationConfig") or {}).get(
            "OnFailure") or {}
        grants += _destination_grant(failure, resources, "failed records")
    destinations = (properties.get("EventInvokeConfig") or {}).get("DestinationConfig") or {}
    for outcome, destination in destinations.items():
        what = "failed" if outcome == "OnFailure" else "successful"
        grants += _destination_grant(destination, resources, f"{what} async invocations")
    dead_letters = properties.get("DeadLetterQueue") or {}
    grants += _destination_grant({"Type": dead_letters.get("Type"),
                                  "Destination": dead_letters.get("TargetArn")},
                                 resources, "dead letters")
    return list(dict.fromkeys(grants))


def _destination_grant(destination: dict, resources: dict, what: str) -> list[str]:
    action = DESTINATION_ACTIONS.get(destination.get("Type"))
    targets = refs(destination.get("Destination")) & resources.keys()
    return [f"{action} {t} ({what})" for t in sorted(targets)] if action else []


def _grant(policy, resources: dict) -> str:
    """One entry of a Policies list (or ManagedPolicyArns) as what it allows."""
    if isinstance(policy, str):
        return f"{policy.rsplit('/', 1)[-1]} (managed policy)"
    if not isinstance(policy, dict) or len(policy) != 1:
        return "an inline policy"
    name, arguments = next(iter(policy.items()))
    if name == "Statement":
        return "; ".join(_statement(s, resources) for s in _statements(policy))
    targets = " and ".join(sorted(policy_targets(arguments, resources)))
    verb = TEMPLATE_GRANTS.get(name, "use")
    return f"{verb} {targets or 'its resources'} ({name})"


def _statements(document) -> list[dict]:
    statements = (document or {}).get("Statement", [])
    return [s for s in (statements if isinstance(statements, list) else [statements])
            if isinstance(s, dict)]


def _statement(statement: dict, resources: dict) -> str:
    """An inline statement: its actions (s3:GetObject, PutObject) on what its Resource names
    (ArchiveBucket/*), or on * when it names nothing in the template."""
    actions = statement.get("Action", [])
    actions = [str(a) for a in (actions if isinstance(actions, list) else [actions])]
    shown, service = [], None
    for action in actions:
        prefix, _, name = action.partition(":")
        shown.append(name if prefix == service and name else action)
        service = prefix
    scopes = statement.get("Resource", [])
    scopes = scopes if isinstance(scopes, list) else [scopes]
    targets = list(dict.fromkeys(t for scope in scopes if (t := _scope(scope, resources))))
    effect = "" if statement.get("Effect", "Allow") == "Allow" else "deny "
    return f"{effect}{', '.join(shown)} on {' and '.join(targets) or '*'}"


def _scope(resource, resources: dict) -> str | None:
    """A statement's Resource as the template's resource it names, with any path after it:
    !Sub "arn:...:s3:::${Bucket}/attachments/*" is Bucket/attachments/*."""
    named = sorted(refs(resource) & resources.keys())
    if not named:
        return None
    text = resource.get("Fn::Sub") if isinstance(resource, dict) else None
    text = text[0] if isinstance(text, list) else text
    if isinstance(text, str):
        found = re.search(r"\$\{(\w+)(?:\.\w+)?\}([^$]*)$", text)
        if found and found[1] in resources:
            return found[1] + found[2]
    return " and ".join(named)


def _key(value) -> str:
    return json.dumps(value, sort_keys=True)
