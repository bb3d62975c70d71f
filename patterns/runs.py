"""Running a pattern live: deploy it into the learner's sandbox, send the scenario's requests,
and collect every hop from the lab cloud's trace. The result is a `RunTrace`, whose JSON form
is the schema documented in the README (`lab run --json` prints it; the page renders it).
"""

import json
import re
import time
from dataclasses import asdict, dataclass, field

from serverless_lab.cloud.client import LabClient, LabCloudError

from .catalog import Pattern, Scenario, Step

QUIET_TIMEOUT_SECONDS = 10.0
STEP_REFERENCE = re.compile(r"\{([\w-]+)\.([\w.]+)\}")
UNKNOWN_REFERENCE = "step {step!r} refers to {ref!r}, which no earlier response has"
EVENT_TYPES_SHOWN = ("http", "delivery", "invocation", "api_call")


@dataclass
class Expectation:
    step: str
    check: str
    expected: object
    actual: object
    passed: bool


@dataclass
class StepResult:
    name: str
    request: dict
    response: dict | None = None
    events: list[dict] = field(default_factory=list)
    expectations: list[Expectation] = field(default_factory=list)

    @property
    def invocations(self) -> list[dict]:
        return [e for e in self.events if e["type"] == "invocation"]


@dataclass
class RunTrace:
    pattern: str
    scenario: str | None
    learner: str
    account_id: str
    stack: str
    started_at: float
    duration_ms: float = 0.0
    steps: list[StepResult] = field(default_factory=list)
    error: str | None = None

    @property
    def expectations(self) -> list[Expectation]:
        return [x for step in self.steps for x in step.expectations]

    @property
    def invocations(self) -> list[dict]:
        return [i for step in self.steps for i in step.invocations]

    @property
    def ok(self) -> bool:
        return self.error is None and all(x.passed for x in self.expectations)

    def as_json(self) -> dict:
        document = asdict(self)
        document["ok"] = self.ok
        document["invocations"] = [_invocation_summary(i) for i in self.invocations]
        document["expectations"] = [asdict(x) for x in self.expectations]
        return document


def _invocation_summary(event: dict) -> dict:
    keys = ("function_name", "request_id", "cold_start", "duration_ms", "billed_duration_ms",
            "memory_size_mb", "max_memory_used_mb", "init_duration_ms", "error", "report")
    return {k: event.get(k) for k in keys}


def run_scenario(*, client: LabClient, learner: str, pattern: Pattern,
                 scenario: Scenario) -> RunTrace:
    """Deploy the pattern (if not already there) and run the scenario's steps in order."""
    run, deployment = _start(client=client, learner=learner, pattern=pattern,
                             scenario=scenario.slug)
    if deployment is None:
        return run
    if scenario.fresh:
        client.recycle(learner)
    responses: dict[str, dict] = {}
    for step in scenario.steps:
        try:
            request = _resolve_request(step, responses)
        except KeyError as e:
            run.error = str(e.args[0])
            break
        result = _send(client=client, learner=learner, deployment=deployment, name=step.name,
                       request=request)
        result.expectations = expectations_check(step=step, result=result,
                                                 functions=deployment["functions"])
        run.steps.append(result)
        responses[step.name] = result.response or {}
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


def _start(*, client, learner, pattern, scenario):
    sandbox = client.sandbox(learner)
    run = RunTrace(pattern=pattern.slug, scenario=scenario, learner=learner,
                   account_id=sandbox["account_id"], stack=pattern.slug, started_at=time.time())
    try:
        deployment = client.deploy(learner, str(pattern.folder), stack=pattern.slug)
    except LabCloudError as e:
        run.error = f"deploy failed: {e}"
        return _finish(run), None
    return run, deployment


def _finish(run: RunTrace) -> RunTrace:
    run.duration_ms = round((time.time() - run.started_at) * 1000, 2)
    return run


def _resolve_request(step: Step, responses: dict[str, dict]) -> dict:
    def value(match):
        step_name, dotted = match[1], match[2]
        found = responses.get(step_name, {}).get("json")
        for key in dotted.split("."):
            if not isinstance(found, dict) or key not in found:
                raise KeyError(UNKNOWN_REFERENCE.format(step=step.name, ref=match[0]))
            found = found[key]
        return str(found)

    request = dict(step.request)
    request["path"] = STEP_REFERENCE.sub(value, request["path"])
    body = request.get("body", "")
    if not isinstance(body, str):
        body = json.dumps(body)
        request.setdefault("headers", {"Content-Type": "application/json"})
    request["body"] = body
    request["method"] = request.get("method", "GET").upper()
    return request


def _send(*, client, learner, deployment, name, request) -> StepResult:
    api = deployment["apis"][0] if deployment["apis"] else None
    result = StepResult(name=name, request=dict(request))
    if api is None:
        result.response = {"status": None, "error": "this pattern has no REST API to call"}
        return result
    mark = client.trace(learner, since=2**62)["last_seq"]
    url = api["url"] + request["path"]
    result.request["url"] = url
    answer = client.http(url, method=request["method"], body=request.get("body") or None,
                         headers=request.get("headers"))
    result.response = {"status": answer.status, "headers": answer.headers,
                       "body": answer.body, "json": _json_or_none(answer.body)}
    result.events = _events_until_quiet(client, learner, mark)
    return result


def _events_until_quiet(client, learner, mark) -> list[dict]:
    deadline = time.monotonic() + QUIET_TIMEOUT_SECONDS
    while True:
        page = client.trace(learner, since=mark)
        if page["quiet"] or time.monotonic() > deadline:
            events = [e for e in page["events"] if e["type"] in EVENT_TYPES_SHOWN]
            return sorted(events, key=lambda e: (e["at"], e["seq"]))
        time.sleep(0.02)


def _json_or_none(text: str):
    try:
        return json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return None


def expectations_check(*, step: Step, result: StepResult, functions: dict) -> list[Expectation]:
    """Each of the step's `expect` entries, compared with what happened."""
    checks = []
    response = result.response or {}
    invocations = result.invocations
    first = invocations[0] if invocations else {}
    for check, expected in step.expect.items():
        if check == "status":
            actual = response.get("status")
            passed = actual == expected
        elif check == "body":
            actual = response.get("json")
            passed = isinstance(actual, dict) and all(actual.get(k) == v
                                                      for k, v in expected.items())
        elif check == "cold_start":
            actual = first.get("cold_start")
            passed = actual == expected
        elif check == "invoked":
            actual = [i["function_name"] for i in invocations]
            passed = functions.get(expected) in actual
        elif check == "error_type":
            actual = (first.get("error") or {}).get("errorType")
            passed = actual == expected
        elif check == "log_contains":
            actual = "".join(i.get("logs", "") for i in invocations)
            passed = expected in actual
            actual = f"{len(actual)} characters of logs"
        else:
            actual, passed = f"unknown check {check!r}", False
        checks.append(Expectation(step=step.name, check=check, expected=expected,
                                  actual=actual, passed=passed))
    return checks
