"""Lab checks as data: `patterns/catalog/<slug>/checks.yaml` lists checks over a student's
sandbox and their runs; this module validates them against the pattern's template and
evaluates them with the student's own credentials.

A check is a mapping: `id`, `title`, `hint`, `kind` (one of CHECK_KINDS) and the kind's
fields. Resources are named by their logical id in the template; the physical name comes
from the stack (CloudFormation DescribeStackResources in the sandbox).
"""

from dataclasses import asdict, dataclass

import yaml
from botocore.exceptions import BotoCoreError, ClientError

from patterns.catalog import Pattern
from serverless_lab.cloud.clients import client as aws_client

# kind -> (the fields naming a template resource, the other required fields)
CHECK_KINDS = {
    "scenario_passes": ((), ("scenario",)),
    "queue_has_messages": (("queue",), ()),
    "reserved_concurrency": (("function",), ("value",)),
    "item_count": (("table",), ()),
    "item_exists": (("table",), ("key",)),
    "no_cold_start_in_last_run": ((), ()),
}
UNKNOWN_KIND = "check {id!r}: unknown kind {kind!r} (one of {kinds})"
MISSING_FIELD = "check {id!r}: {kind} needs {field!r}"
UNKNOWN_RESOURCE = "check {id!r} names {resource!r}, which the pattern's template does not have"
UNKNOWN_SCENARIO = "check {id!r} names scenario {scenario!r}, which the pattern does not have"
DUPLICATE_ID = "two checks have the id {id!r}"


NOT_DEPLOYED = "The {stack} pattern is not deployed in your sandbox: run one of its scenarios."


class NotDeployed(LookupError):
    pass


class CheckError(ValueError):
    """Checks that cannot be used with the pattern; `errors` names each problem."""

    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


@dataclass
class CheckResult:
    id: str
    title: str
    passed: bool
    message: str
    hint: str = ""
    error_type: str = ""
    where: str = ""  # the call that failed, e.g. "DynamoDB PutItem"

    def as_json(self) -> dict:
        return asdict(self)


def checks_for_pattern(*, pattern: Pattern) -> list[dict]:
    path = pattern.folder / "checks.yaml"
    if not path.exists():
        return []
    return list((yaml.safe_load(path.read_text()) or {}).get("checks", []))


def template_resource_ids(*, pattern: Pattern) -> set[str]:
    from serverless_lab.cloud.deploy.sam import template_read

    return set(template_read(pattern.folder)["Resources"])


def checks_validate(*, pattern: Pattern, checks: list[dict]) -> None:
    """Raise CheckError naming every check that cannot run against this pattern."""
    errors, seen = [], set()
    resources = template_resource_ids(pattern=pattern)
    for check in checks:
        if not isinstance(check, dict):
            errors.append(f"a check must be a mapping, not {check!r}")
            continue
        check_id, kind = check.get("id", "?"), check.get("kind")
        if check_id in seen:
            errors.append(DUPLICATE_ID.format(id=check_id))
        seen.add(check_id)
        if kind not in CHECK_KINDS:
            errors.append(UNKNOWN_KIND.format(id=check_id, kind=kind,
                                              kinds=", ".join(CHECK_KINDS)))
            continue
        resource_fields, other_fields = CHECK_KINDS[kind]
        for field in ("id", "title", *resource_fields, *other_fields):
            if field not in check:
                errors.append(MISSING_FIELD.format(id=check_id, kind=kind, field=field))
        for field in resource_fields:
            if field in check and check[field] not in resources:
                errors.append(UNKNOWN_RESOURCE.format(id=check_id, resource=check[field]))
        if kind == "scenario_passes" and check.get("scenario") not in pattern.scenarios:
            errors.append(UNKNOWN_SCENARIO.format(id=check_id, scenario=check.get("scenario")))
    if errors:
        raise CheckError(errors)


class StudentSandbox:
    """The student's account as boto3 sees it, with the stack's physical names."""

    def __init__(self, *, found: dict, stack: str):
        self.found = found
        self.stack = stack
        self._physical = None

    def client(self, service: str):
        return aws_client(service, endpoint_url=self.found["endpoint_url"],
                          credentials=self.found["credentials"], region=self.found["region"])

    def physical(self, logical_id: str) -> str:
        if self._physical is None:
            try:
                answer = self.client("cloudformation").describe_stack_resources(
                    StackName=self.stack)
            except ClientError:
                raise NotDeployed(NOT_DEPLOYED.format(stack=self.stack)) from None
            self._physical = {r["LogicalResourceId"]: r.get("PhysicalResourceId")
                              for r in answer["StackResources"]}
        if not self._physical.get(logical_id):
            raise NotDeployed(f"{logical_id} is not in your {self.stack} stack: run a scenario "
                              "to deploy the pattern again")
        return self._physical[logical_id]


def check_evaluate(*, check: dict, sandbox: StudentSandbox, runs: list[dict]) -> CheckResult:
    """One check's result; an AWS error or a missing resource is a failed check saying so."""
    result = CheckResult(id=check["id"], title=check["title"], passed=False, message="",
                         hint=check.get("hint", ""))
    try:
        result.passed, result.message = _EVALUATORS[check["kind"]](check, sandbox, runs)
        if not result.passed:
            result.error_type = result.error_type or "CheckFailed"
    except ClientError as e:
        result.error_type = e.response.get("Error", {}).get("Code", "ClientError")
        result.message = str(e)
    except NotDeployed as e:
        result.error_type, result.message = "NotDeployed", str(e)
    except (BotoCoreError, LookupError) as e:
        result.error_type = type(e).__name__
        result.message = str(e)
    return result


def _scenario_passes(check, sandbox, runs):
    run = next((r for r in reversed(runs) if r.get("scenario") == check["scenario"]), None)
    if run is None:
        return False, f"Scenario {check['scenario']!r} has not been run."
    if run.get("ok"):
        return True, f"Scenario {check['scenario']!r} passed."
    failed = [x for x in run.get("expectations", []) if not x["passed"]]
    detail = run.get("error") or "; ".join(
        f"{x['step']}: {x['check']} expected {x['expected']!r}, got {x['actual']!r}"
        for x in failed[:3])
    return False, f"Scenario {check['scenario']!r} failed: {detail}"


def _queue_has_messages(check, sandbox, runs):
    url = sandbox.physical(check["queue"])
    attributes = sandbox.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                      "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    count = sum(int(v) for v in attributes.values())
    wanted = int(check.get("min", 1))
    return count >= wanted, f"{check['queue']} holds {count} message(s); {wanted} wanted."


def _reserved_concurrency(check, sandbox, runs):
    name = sandbox.physical(check["function"])
    answer = sandbox.client("lambda").get_function_concurrency(FunctionName=name)
    found = answer.get("ReservedConcurrentExecutions")
    wanted = int(check["value"])
    shown = "none" if found is None else found
    return (found == wanted,
            f"{check['function']} has reserved concurrency {shown}; {wanted} wanted.")


def _item_count(check, sandbox, runs):
    table = sandbox.physical(check["table"])
    count = sandbox.client("dynamodb").scan(TableName=table, Select="COUNT")["Count"]
    low, high = int(check.get("min", 1)), check.get("max")
    passed = count >= low and (high is None or count <= int(high))
    wanted = f"at least {low}" + (f" and at most {high}" if high is not None else "")
    return passed, f"{check['table']} holds {count} item(s); {wanted} wanted."


def _item_exists(check, sandbox, runs):
    table = sandbox.physical(check["table"])
    key = {k: {"S": str(v)} for k, v in check["key"].items()}
    found = "Item" in sandbox.client("dynamodb").get_item(TableName=table, Key=key)
    return found, f"{check['table']} {'has' if found else 'has no'} item {check['key']}."


def _no_cold_start_in_last_run(check, sandbox, runs):
    if not runs:
        return False, "No run to look at yet."
    last = runs[-1]
    cold = [i["function_name"] for i in last.get("invocations", []) if i.get("cold_start")]
    if cold:
        return False, f"The last run ({last.get('scenario')}) started cold: {', '.join(cold)}."
    return True, f"The last run ({last.get('scenario')}) made no cold start."


_EVALUATORS = {
    "scenario_passes": _scenario_passes,
    "queue_has_messages": _queue_has_messages,
    "reserved_concurrency": _reserved_concurrency,
    "item_count": _item_count,
    "item_exists": _item_exists,
    "no_cold_start_in_last_run": _no_cold_start_in_last_run,
}
