"""Running a pattern live: deploy it into the learner's sandbox, send the scenario's requests,
and collect every hop from the lab cloud's trace. The result is a `RunTrace`, whose JSON form
is the schema documented in the README (`lab run --json` prints it; the page renders it).
"""

import base64
import json
import re
import time
from dataclasses import replace

from botocore.exceptions import ClientError

from serverless_lab.cloud.client import LabClient, LabCloudError
from serverless_lab.cloud.clients import client as aws_client

from .catalog import Pattern, Scenario, Step
from .run_trace import Expectation, RunTrace, StepResult, events_until_quiet
from .websocket_steps import received_check, send_websocket, websockets_close

STEP_REFERENCE = re.compile(r"(?<!\$)\{([\w-]+)\.([\w.]+)\}")
RESOURCE_REFERENCE = re.compile(r"\$\{(\w+)\}")
UNKNOWN_REFERENCE = "step {step!r} refers to {ref!r}, which no earlier response has"
UNKNOWN_RESOURCE = "step {step!r} refers to {ref!r}, which the stack does not have"
OUTSIDE_URL = "{url} is not the lab cloud's: a step's url may only point into the sandbox"


def run_scenario(*, client: LabClient, learner: str, pattern: Pattern,
                 scenario: Scenario) -> RunTrace:
    """Deploy the pattern (if not already there) and run the scenario's steps in order."""
    run, deployment = _start(client=client, learner=learner, pattern=pattern,
                             scenario=scenario.slug)
    if deployment is None:
        return run
    return _steps_run(run, client=client, learner=learner, deployment=deployment,
                      scenario=scenario)


def run_steps(*, client: LabClient, learner: str, deployment: dict, scenario: Scenario,
              pattern: str = "") -> RunTrace:
    """The scenario's steps against a deployment already made (nothing is deployed): a
    fix-it's checks run against the learner's own version of its stack."""
    sandbox = client.sandbox(learner)
    run = RunTrace(pattern=pattern, scenario=scenario.slug, learner=learner,
                   account_id=sandbox["account_id"], stack=deployment["stack_name"],
                   started_at=time.time(), notice=sandbox.get("notice"))
    return _steps_run(run, client=client, learner=learner, deployment=deployment,
                      scenario=scenario)


def _steps_run(run: RunTrace, *, client, learner, deployment, scenario) -> RunTrace:
    if scenario.fresh:
        client.recycle(learner)
    responses: dict[str, dict] = {}
    sandbox = Sandbox(client.sandbox(learner), deployment)
    for step in scenario.steps:
        try:
            action = _resolve(step.action, responses, deployment, step.name)
            # Expectations may name what an earlier step returned (the key it was given).
            step = replace(step, expect=_resolve(step.expect, responses, deployment, step.name))
        except KeyError as e:
            run.error = str(e.args[0])
            break
        send = {"request": _send, "aws": _send_aws, "invoke": _send_invoke,
                "clock": _send_clock, "websocket": send_websocket}[step.kind]
        result = send(client=client, learner=learner, deployment=deployment, name=step.name,
                      request=_normalised(step.kind, action), sandbox=sandbox)
        result.expectations = expectations_check(step=step, result=result, sandbox=sandbox)
        run.steps.append(result)
        responses[step.name] = result.response or {}
    websockets_close(sandbox, client=client, learner=learner)  # if it opened any
    return _finish(run)


def run_request(*, client: LabClient, learner: str, pattern: Pattern, method: str, path: str,
                body: str = "", headers: dict | None = None) -> RunTrace:
    """One request of the learner's own making, traced like a scenario step."""
    run, deployment = _start(client=client, learner=learner, pattern=pattern, scenario=None)
    if deployment is not None:
        request = {"method": method.upper(), "path": path, "body": body,
                   "headers": headers or ({"Content-Type": "application/json"} if body else {})}
        run.steps.append(_send(client=client, learner=learner, deployment=deployment,
                               name="request", request=request))
    return _finish(run)


def run_clock(*, client: LabClient, learner: str, pattern: Pattern, advance: str) -> RunTrace:
    """Fast-forward the learner's sandbox clock, with the pattern deployed, traced like a
    scenario step: what the schedules fired in the skipped time, hop by hop."""
    run, deployment = _start(client=client, learner=learner, pattern=pattern, scenario=None)
    if deployment is not None:
        run.steps.append(_send_clock(client=client, learner=learner, deployment=deployment,
                                     name="advance the clock", request={"advance": advance},
                                     sandbox=None))
    return _finish(run)


def _start(*, client, learner, pattern, scenario):
    sandbox = client.sandbox(learner)
    run = RunTrace(pattern=pattern.slug, scenario=scenario, learner=learner,
                   account_id=sandbox["account_id"], stack=pattern.slug, started_at=time.time(),
                   notice=sandbox.get("notice"))  # a sharded client's: the sandbox was rebuilt
    try:
        deployment = client.deploy(learner, str(pattern.folder), stack=pattern.slug)
    except LabCloudError as e:
        run.error = f"deploy failed: {e}"
        return _finish(run), None
    return run, deployment


def _finish(run: RunTrace) -> RunTrace:
    run.duration_ms = round((time.time() - run.started_at) * 1000, 2)
    return run


def _resolve(action, responses: dict[str, dict], deployment: dict, step_name: str):
    """The step's action with `{step.field}` (an earlier response's JSON) and `${LogicalId}`
    (a deployed resource's physical id, as in CloudFormation's Fn::Sub) filled in."""

    def earlier(match):
        found = responses.get(match[1], {}).get("json")
        for key in match[2].split("."):
            if not isinstance(found, dict) or key not in found:
                raise KeyError(UNKNOWN_REFERENCE.format(step=step_name, ref=match[0]))
            found = found[key]
        return str(found)

    def resource(match):
        found = deployment["resources"].get(match[1])
        if found is None:
            raise KeyError(UNKNOWN_RESOURCE.format(step=step_name, ref=match[0]))
        return found["physical_id"]

    if isinstance(action, str):
        return RESOURCE_REFERENCE.sub(resource, STEP_REFERENCE.sub(earlier, action))
    if isinstance(action, dict):
        return {k: _resolve(v, responses, deployment, step_name) for k, v in action.items()}
    if isinstance(action, list):
        return [_resolve(v, responses, deployment, step_name) for v in action]
    return action


def _normalised(kind: str, action: dict) -> dict:
    if kind != "request":
        return action
    request = dict(action)
    body = request.get("body", "")
    if not isinstance(body, str):
        body = json.dumps(body)
        request.setdefault("headers", {"Content-Type": "application/json"})
    request["body"] = body
    request["method"] = request.get("method", "GET").upper()
    if request.get("url"):
        request.setdefault("path", request["url"])  # what the page and the CLI show
    return request


class Sandbox:
    """The learner's account as boto3 sees it, for AWS steps and for checking its state."""

    def __init__(self, found: dict, deployment: dict):
        self.found = found
        self.deployment = deployment

    def client(self, service: str):
        return aws_client(service, endpoint_url=self.found["endpoint_url"],
                          credentials=self.found["credentials"], region=self.found["region"])

    def physical_id(self, logical_id: str) -> str | None:
        found = self.deployment["resources"].get(logical_id)
        return found["physical_id"] if found else None


def _send_aws(*, client, learner, deployment, name, request, sandbox) -> StepResult:
    """An AWS API call with the learner's credentials, as their own code would make it."""
    result = StepResult(name=name, request=dict(request))
    mark = client.trace(learner, since=2**62)["last_seq"]
    try:
        answer = getattr(sandbox.client(request["service"]), request["operation"])(
            **{k: _binary(v) for k, v in request.get("params", {}).items()})
        status = answer.pop("ResponseMetadata", {}).get("HTTPStatusCode", 200)
        result.response = {"status": status, "json": json.loads(json.dumps(answer,
                                                                           default=str))}
    except ClientError as e:
        result.response = {"status": e.response["ResponseMetadata"].get("HTTPStatusCode"),
                           "json": {"error": e.response["Error"]}}
    result.response["body"] = json.dumps(result.response["json"], default=str)
    result.events = events_until_quiet(client, learner, mark)
    return result


def _binary(value):
    """A parameter written as {base64: ...} (an image's bytes, say) is sent as those bytes."""
    if isinstance(value, dict) and list(value) == ["base64"]:
        return base64.b64decode(value["base64"])
    return value


def _send_invoke(*, client, learner, deployment, name, request, sandbox) -> StepResult:
    result = StepResult(name=name, request=dict(request))
    mark = client.trace(learner, since=2**62)["last_seq"]
    invocation = client.invoke(learner, deployment["stack_name"], request["function"],
                               request.get("event", {}))
    payload = _json_or_none(invocation["payload"]) if invocation["payload"] else None
    result.response = {"status": 200 if invocation["error"] is None else None,
                       "json": invocation["error"] or payload,
                       "body": json.dumps(invocation["error"]) if invocation["error"]
                       else invocation["payload"] or ""}
    result.events = events_until_quiet(client, learner, mark)
    return result


def _send_clock(*, client, learner, deployment, name, request, sandbox) -> StepResult:
    """Fast-forward the sandbox's lab clock; the schedules that fall due fire, in order."""
    result = StepResult(name=name, request=dict(request))
    mark = client.trace(learner, since=2**62)["last_seq"]
    try:
        answer = client.clock(learner, advance=str(request.get("advance", "")))
        result.response = {"status": 200, "json": answer, "body": json.dumps(answer)}
    except LabCloudError as e:
        result.response = {"status": 400, "json": {"error": str(e)}, "body": str(e)}
    result.events = events_until_quiet(client, learner, mark)
    return result


def _send(*, client, learner, deployment, name, request, sandbox=None) -> StepResult:
    # HTTP endpoints only: a WebSocket API's ws:// URL takes websocket steps.
    api = next((a for a in deployment["apis"] if a["url"].startswith("http")), None)
    result = StepResult(name=name, request=dict(request))
    if request.get("url"):
        # A full URL an earlier response handed out (a presigned S3 URL): the lab's only.
        if not request["url"].startswith(_lab_endpoints(client, sandbox)):
            result.response = {"status": None, "error": OUTSIDE_URL.format(url=request["url"])}
            return result
    elif api is None:
        result.response = {"status": None, "error": "this pattern has no REST API to call"}
        return result
    mark = client.trace(learner, since=2**62)["last_seq"]
    url = request.get("url") or api["url"] + request["path"]
    result.request["url"] = url
    answer = client.http(url, method=request["method"], body=request.get("body") or None,
                         headers=request.get("headers"))
    result.response = {"status": answer.status, "headers": answer.headers,
                       "body": answer.body, "json": _json_or_none(answer.body)}
    result.events = events_until_quiet(client, learner, mark)
    return result


def _lab_endpoints(client, sandbox) -> tuple[str, ...]:
    found = [client.url] + ([sandbox.found["endpoint_url"]] if sandbox else [])
    return tuple(f"{u.rstrip('/')}/" for u in found)


def _json_or_none(text: str):
    try:
        return json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return None


def expectations_check(*, step: Step, result: StepResult, sandbox: Sandbox) -> list[Expectation]:
    """Each of the step's `expect` entries, compared with what happened: the response, the
    invocations the step caused, and the state of the learner's sandbox afterwards."""
    checks = []
    for check, expected in step.expect.items():
        measure = CHECKS.get(check)
        if measure is None:
            actual, passed = f"unknown check {check!r}", False
        else:
            actual, passed = measure(expected, result, sandbox)
        checks.append(Expectation(step=step.name, check=check, expected=expected,
                                  actual=actual, passed=passed))
    return checks


def _first_invocation(result: StepResult) -> dict:
    return result.invocations[0] if result.invocations else {}


def _status(expected, result, sandbox):
    actual = (result.response or {}).get("status")
    return actual, actual == expected


def _body(expected, result, sandbox):
    actual = (result.response or {}).get("json")
    return actual, isinstance(actual, dict) and all(actual.get(k) == v
                                                    for k, v in expected.items())


def _cold_start(expected, result, sandbox):
    actual = _first_invocation(result).get("cold_start")
    return actual, actual == expected


def _invoked(expected, result, sandbox):
    actual = [i["function_name"] for i in result.invocations]
    return actual, sandbox.deployment["functions"].get(expected) in actual


def _invocations(expected: dict, result, sandbox):
    """{LogicalId: count}: how many times each function ran during the step."""
    names = [i["function_name"] for i in result.invocations]
    actual = {logical: names.count(sandbox.deployment["functions"].get(logical))
              for logical in expected}
    return actual, actual == expected


def _error_type(expected, result, sandbox):
    actual = (_first_invocation(result).get("error") or {}).get("errorType")
    return actual, actual == expected


def _log_contains(expected, result, sandbox):
    logs = "".join(i.get("logs", "") for i in result.invocations)
    return f"{len(logs)} characters of logs", expected in logs


def _item_count(expected: dict, result, sandbox):
    """{TableLogicalId: n}: items in each table after the step."""
    dynamodb = sandbox.client("dynamodb")
    actual = {logical: dynamodb.scan(TableName=sandbox.physical_id(logical),
                                     Select="COUNT")["Count"] for logical in expected}
    return actual, actual == expected


def _objects(expected: dict, result, sandbox):
    """{BucketLogicalId: [keys]}: these keys exist in each bucket after the step."""
    s3 = sandbox.client("s3")
    actual = {}
    for logical, keys in expected.items():
        listed = s3.list_objects_v2(Bucket=sandbox.physical_id(logical)).get("Contents", [])
        present = {o["Key"] for o in listed}
        actual[logical] = sorted(k for k in keys if k in present)
    return actual, all(sorted(keys) == actual[b] for b, keys in expected.items())


def _queue_depth(expected: dict, result, sandbox):
    """{QueueLogicalId: n or {at_least: n}}: messages waiting (visible and in flight) after
    the step. at_least suits a dead-letter queue that earlier runs may have fed too."""
    sqs = sandbox.client("sqs")
    actual = {}
    for logical in expected:
        attributes = sqs.get_queue_attributes(
            QueueUrl=sandbox.physical_id(logical),
            AttributeNames=["ApproximateNumberOfMessages",
                            "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        actual[logical] = sum(int(v) for v in attributes.values())
    passed = all(actual[q] >= n["at_least"] if isinstance(n, dict) else actual[q] == n
                 for q, n in expected.items())
    return actual, passed


def _items(expected: dict, result, sandbox):
    """{TableLogicalId: [{attribute: value}]}: each listed item is in the table after the
    step, with these attribute values (others are not compared)."""
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    dynamodb = sandbox.client("dynamodb")
    actual = {}
    for logical, wanted in expected.items():
        keys = {k for item in wanted for k in item}
        scanned = dynamodb.scan(TableName=sandbox.physical_id(logical), Limit=50)["Items"]
        actual[logical] = [{k: _plain(deserializer.deserialize(v)) for k, v in item.items()
                            if k in keys} for item in scanned]
    passed = all(any(all(row.get(k) == v for k, v in item.items()) for row in actual[logical])
                 for logical, wanted in expected.items() for item in wanted)
    return actual, passed


def _plain(value):
    """DynamoDB numbers as YAML writes them (3, 42.5), not Decimal."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _execution(expected: dict, result, sandbox):
    """{status, error, output: {...}} of the Step Functions execution the step started
    (its executionArn in the response); output is compared key by key."""
    arn = ((result.response or {}).get("json") or {}).get("executionArn")
    if not arn:
        return "the step started no execution", False
    found = sandbox.client("stepfunctions").describe_execution(executionArn=arn)
    actual = {"status": found["status"]}
    for key in ("error", "cause"):
        if key in found:
            actual[key] = found[key]
    if "output" in found:
        actual["output"] = json.loads(found["output"])
    passed = all(
        isinstance(actual.get(k), dict) and all(actual[k].get(kk) == vv for kk, vv in v.items())
        if isinstance(v, dict) else actual.get(k) == v for k, v in expected.items())
    return actual, passed


CHECKS = {"status": _status, "body": _body, "cold_start": _cold_start, "invoked": _invoked,
          "invocations": _invocations, "error_type": _error_type, "log_contains": _log_contains,
          "item_count": _item_count, "objects": _objects, "queue_depth": _queue_depth,
          "items": _items, "execution": _execution, "received": received_check}
