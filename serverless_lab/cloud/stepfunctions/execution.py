"""Step Functions in the learner's account.

moto ships an interpreter of the Amazon States Language (LocalStack's, ported, checked against
AWS's own responses): Task, Choice, Parallel, Map, Wait, Pass, Succeed, Fail, Retry, Catch, the
paths and the optimized integrations, with AWS's history events. The lab runs executions with
it (moto's `execute_state_machine` setting) and wires it into the lab (the moto internals
it replaces are in moto_patch.py):

- moto's CloudFormation creates state machines in a backend the API does not read, and ignores
  `Definition` (an object) and `DefinitionSubstitutions`: both are put right;
- moto sends a task's service calls to its default account; here they go through the lab
  cloud's front door, signed with the state machine's role in the execution's own account, so a
  Lambda task runs in the lab runtime and every call is in the trace. An ARN or queue URL that
  names another account is refused as AWS refuses it when no resource policy allows it;
- a Lambda error without an error type (a timeout, a crashed runtime) is `Lambda.Unknown`;
- the history events that move an execution on are mirrored into the trace, and the account is
  not quiet while an execution runs;
- Wait states and Retry intervals run on lab time (`lab_seconds`), so nobody waits minutes.
"""

import json
import re
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from botocore.config import Config
from botocore.exceptions import ClientError
from moto.stepfunctions.parser.asl.component.state.exec.state_task.credentials import (
    StateCredentials,
)
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager

from serverless_lab.cloud import trace
from serverless_lab.cloud.clients import client

# One second of a Wait state or a Retry interval lasts this long in the lab, and never longer
# than MAX_LAB_WAIT_SECONDS: a learner sees the order of events without waiting minutes.
LAB_TIME_SCALE = 0.01
MAX_LAB_WAIT_SECONDS = 5.0
# Task calls may run as long as a Lambda function may (15 minutes), without SDK retries: the
# state machine's Retry is the retry policy, as on AWS.
TASK_CLIENT_CONFIG = Config(parameter_validation=False, read_timeout=960,
                            retries={"max_attempts": 0, "total_max_attempts": 1})
# Clients for task calls are kept (a new one costs tens of ms), the least recently used dropped.
MAX_CACHED_CLIENTS = 64
# Parameters that name the resource a task acts on; an account in them must be the execution's.
RESOURCE_PARAMETERS = ("FunctionName", "TableName", "TopicArn", "TargetArn", "QueueUrl",
                       "StateMachineArn", "EventBusName")
IAM_ACTIONS = {("lambda", "Invoke"): "lambda:InvokeFunction"}
ACCOUNT_IN_ARN = re.compile(r"^arn:aws[\w-]*:[\w-]+:[\w-]*:(\d{12}):")
ACCOUNT_IN_QUEUE_URL = re.compile(r"^https?://[^/]+/(\d{12})/")
LAMBDA_UNKNOWN_CAUSE = ("The cause could not be determined because Lambda did not return an "
                        "error type. Returned payload: {payload}")
NOT_FROM_A_TASK = "the lab sends Step Functions service calls only from Task states"
DEFINITION_S3 = ("{name}: DefinitionS3Location is not supported by the lab; give the "
                 "definition inline (Definition) or as a local file (DefinitionUri)")


@dataclass
class ExecutionCredentials(StateCredentials):
    """A task's credentials, with the execution they belong to (moto's carry only a role)."""

    account_id: str = ""
    execution_arn: str = ""

    @property
    def execution_name(self) -> str:
        return self.execution_arn.rsplit(":", 1)[-1]

    @property
    def state_machine(self) -> str:
        return self.execution_arn.rsplit(":", 2)[-2]


def lab_seconds(aws_seconds: float) -> float:
    """How long a wait of aws_seconds lasts in the lab."""
    return min(max(aws_seconds, 0) * LAB_TIME_SCALE, MAX_LAB_WAIT_SECONDS)


def definition_string(properties: dict, *, name: str = "StateMachine") -> str:
    """The definition CloudFormation would give Step Functions: DefinitionString or Definition
    (an object), with each `${key}` of DefinitionSubstitutions replaced."""
    if "DefinitionS3Location" in properties:
        raise ValueError(DEFINITION_S3.format(name=name))
    text = properties.get("DefinitionString")
    if text is None:
        text = json.dumps(properties.get("Definition") or {})
    for key, value in (properties.get("DefinitionSubstitutions") or {}).items():
        text = text.replace("${" + key + "}", value if isinstance(value, str)
                            else json.dumps(value))
    return text


def inline_definition_uris(template: dict, folder: Path) -> dict:
    """SAM state machines whose DefinitionUri is a local file get its content as Definition,
    which is what `sam package` achieves by uploading the file."""
    from samtranslator.yaml_helper import yaml_parse

    for resource in template.get("Resources", {}).values():
        properties = resource.get("Properties") or {}
        uri = properties.get("DefinitionUri")
        if (resource.get("Type") == "AWS::Serverless::StateMachine" and isinstance(uri, str)
                and not uri.startswith("s3://")):
            properties["Definition"] = yaml_parse((folder / uri).read_text())
            del properties["DefinitionUri"]
    return template


class ExecutionWiring:
    """What the patched interpreter reaches: the lab cloud's URL, accounts and recorder."""

    def __init__(self, cloud):
        self.cloud = cloud
        self._lock = threading.Lock()
        self._keys: dict[tuple[str, str, str], dict] = {}
        self._clients: dict[tuple, object] = {}
        self._last = threading.local()  # the last history event mirrored by this thread

    # -- service calls -------------------------------------------------------------------
    def task_client(self, *, region: str, service: str, credentials: ExecutionCredentials):
        role_account = _account_in(credentials.role_arn)
        if role_account != credentials.account_id:
            raise _denied("sts", "AssumeRole", credentials.role_arn, credentials)
        keys = self._role_keys(credentials)
        key = (keys["AccessKeyId"], service, region)
        with self._lock:
            found = self._clients.pop(key, None)
            if found is not None:
                self._clients[key] = found  # most recently used last
        if found is None:
            found = client(service, endpoint_url=self.cloud.url, credentials=keys, region=region,
                           config=TASK_CLIENT_CONFIG)
            with self._lock:
                self._clients[key] = found
                while len(self._clients) > MAX_CACHED_CLIENTS:
                    del self._clients[next(iter(self._clients))]
        return _TaskClient(self, found, service, credentials)

    def _role_keys(self, credentials: ExecutionCredentials) -> dict:
        cache_key = (credentials.account_id, credentials.role_arn, credentials.state_machine)
        with self._lock:
            keys = self._keys.get(cache_key)
        if keys is None:
            sts = client("sts", endpoint_url=self.cloud.url,
                         credentials=self.cloud.accounts.bootstrap)
            session = re.sub(r"[^\w+=,.@-]", "-", credentials.state_machine)[:64] or "states"
            answer = sts.assume_role(RoleArn=credentials.role_arn, RoleSessionName=session,
                                     DurationSeconds=43200)["Credentials"]
            keys = {k: answer[k] for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")}
            with self._lock:
                self._keys[cache_key] = keys
                self.cloud.accounts.callers[keys["AccessKeyId"]] = (
                    credentials.account_id, f"states:{credentials.state_machine}")
        return keys

    def before_call(self, service: str, operation: str, params: dict,
                    credentials: ExecutionCredentials) -> None:
        for name in RESOURCE_PARAMETERS:
            value = params.get(name)
            if isinstance(value, str) and _account_in(value) not in (None,
                                                                     credentials.account_id):
                raise _denied(service, operation, value, credentials)
        if service == "lambda" and operation == "invoke":
            function = str(params.get("FunctionName", ""))
            self.cloud.recorder.record(
                credentials.account_id, trace.DELIVERY,
                source=f"states:{credentials.execution_name}",
                target=function.split(":function:")[-1].split(":")[0], mode="sync",
                batch_size=1, event=_json_or_text(params.get("Payload")),
                execution_arn=credentials.execution_arn)

    # -- the trace ----------------------------------------------------------------------
    def mirror(self, manager: EventManager, event_id: int, event_type, details) -> None:
        execution = getattr(manager, "lab_execution", None)
        name = getattr(event_type, "value", str(event_type))
        if execution is None or not _mirrored(name):
            return
        account_id, execution_arn = execution
        detail = next(iter((details or {}).values()), {}) or {}
        fields = {"execution": execution_arn.rsplit(":", 1)[-1], "execution_arn": execution_arn,
                  "state_machine": execution_arn.rsplit(":", 2)[-2], "event": name,
                  "history_id": event_id}
        if "name" in detail:
            fields["state"] = detail["name"]
        for key in ("error", "cause"):
            if key in detail:
                fields[key] = detail[key]
        if name in ("ExecutionStarted", "ExecutionSucceeded"):
            fields["input" if name == "ExecutionStarted" else "output"] = _json_or_text(
                detail.get("input", detail.get("output")))
        self._last.event = self.cloud.recorder.record(account_id, trace.EXECUTION, **fields)

    def note(self, text: str) -> None:
        """Add a lab note to the last history event this thread mirrored."""
        event = getattr(self._last, "event", None)
        if event is not None:
            event["note"] = text

    def wait(self, *, account_id: str, seconds: float, running) -> None:
        """A Wait state: lab_seconds(seconds) of real time, or less when the learner moves
        the sandbox's clock past its end; stopping the execution ends it, as on AWS."""
        lab = lab_seconds(seconds)
        clock = getattr(self.cloud, "clock", None)
        self.note(f"waits {seconds:g} s (lab time: {lab * 1000:.0f} ms"
                  + (", or until the sandbox clock passes its end)" if clock else ")"))
        deadline = time.monotonic() + lab
        ends_at = clock.now(account_id) + seconds if clock else None
        while running() and (left := deadline - time.monotonic()) > 0:
            if ends_at is not None and clock.now(account_id) >= ends_at:
                return
            time.sleep(min(left, 0.05))

    def begin(self, account_id: str) -> None:
        self.cloud.recorder.begin(account_id)

    def end(self, account_id: str) -> None:
        self.cloud.recorder.end(account_id)


class _TaskClient:
    """A boto3 client that checks and traces each call a task makes before sending it."""

    def __init__(self, wiring: ExecutionWiring, real, service: str, credentials):
        self._wiring, self._real = wiring, real
        self._service, self._credentials = service, credentials

    def __getattr__(self, name: str):
        method = getattr(self._real, name)
        if not callable(method):
            return method

        def call(**params):
            self._wiring.before_call(self._service, name, params, self._credentials)
            return method(**params)

        return call


def _mirrored(event_type: str) -> bool:
    return (event_type.startswith("Execution") or event_type.endswith("StateEntered")
            or event_type.endswith("Failed") or event_type.endswith("TimedOut"))


def _account_in(value: str) -> str | None:
    found = ACCOUNT_IN_ARN.match(value) or ACCOUNT_IN_QUEUE_URL.match(value)
    return found[1] if found else None


def _json_or_text(value):
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    try:
        return json.loads(value) if isinstance(value, str) else value
    except json.JSONDecodeError:
        return value


def _denied(service: str, operation: str, resource: str, credentials) -> ClientError:
    """AWS's answer to a call on another account's resource that no resource policy allows."""
    who = (f"arn:aws:sts::{credentials.account_id}:assumed-role/"
           f"{credentials.role_arn.rsplit('/', 1)[-1]}/{credentials.state_machine}")
    operation = "".join(word[:1].upper() + word[1:] for word in operation.split("_"))
    action = IAM_ACTIONS.get((service, operation), f"{service}:{operation}")
    code, status, message = {
        "sqs": ("AccessDenied", 403, f"Access to the resource {resource} is denied."),
        "sns": ("AuthorizationError", 403, f"User: {who} is not authorized to perform: "
                f"SNS:{operation} on resource: {resource}"),
    }.get(service, ("AccessDeniedException", 403 if service != "dynamodb" else 400,
                    f"User: {who} is not authorized to perform: {action} on resource: "
                    f"{resource} because no resource-based policy allows the {action} action"))
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": status,
                                             "RequestId": str(uuid.uuid4())}},
                       operation)
