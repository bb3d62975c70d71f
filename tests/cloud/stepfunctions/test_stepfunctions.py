"""Step Functions: executions run in the learner's account, with AWS's semantics and history,
and every hop in the trace."""

import json
import time

import pytest
from botocore.exceptions import ClientError

from serverless_lab.cloud.stepfunctions.execution import definition_string, lab_seconds
from tests.conftest import trace_mark

EXECUTION_TIMEOUT_SECONDS = 20


@pytest.fixture
def workflows(deploy):
    deployment = deploy("workflows")
    return {k: v["physical_id"] for k, v in deployment["resources"].items()} | {
        "functions": deployment["functions"]}


def execute(sandbox, machine_arn: str, document: dict) -> dict:
    """Start an execution and wait for it to end; its DescribeExecution."""
    sfn = sandbox.client("stepfunctions")
    arn = sfn.start_execution(stateMachineArn=machine_arn,
                              input=json.dumps(document))["executionArn"]
    deadline = time.monotonic() + EXECUTION_TIMEOUT_SECONDS
    while (found := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "execution did not end"
        time.sleep(0.05)
    return found


def history(sandbox, execution_arn: str) -> list[dict]:
    return sandbox.client("stepfunctions").get_execution_history(
        executionArn=execution_arn)["events"]


def events_since(lab, learner, mark: int, kind: str) -> list[dict]:
    return [e for e in lab.trace(learner, since=mark)["events"] if e["type"] == kind]


def item(sandbox, table: str, key: str) -> dict:
    found = sandbox.client("dynamodb").get_item(TableName=table, Key={"id": {"S": key}})
    return {k: next(iter(v.values())) for k, v in found.get("Item", {}).items()}


def test_retry_then_success_in_the_learners_account(lab, learner, sandbox, workflows):
    mark = trace_mark(lab, learner)
    execution = execute(sandbox, workflows["RetryMachine"], {"id": "order-1"})
    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"]) == {"attempts": 3}
    # The function ran three times in this learner's account and wrote to its table.
    assert item(sandbox, workflows["Attempts"], "order-1")["calls"] == "3"
    assert item(sandbox, workflows["Results"], "order-1")["status"] == "CHARGED"
    flaky = workflows["functions"]["Flaky"]
    invocations = [e for e in events_since(lab, learner, mark, "invocation")
                   if e["function_name"] == flaky]
    assert [(i["error"] or {}).get("errorType") for i in invocations] == [
        "TransientError", "TransientError", None]
    name = execution["executionArn"].rsplit(":", 1)[-1]
    deliveries = events_since(lab, learner, mark, "delivery")
    assert [(d["source"], d["target"], d["mode"]) for d in deliveries] == [
        (f"states:{name}", flaky, "sync")] * 3
    steps = [(e["event"], e.get("state"), e.get("error"), e.get("note"))
             for e in events_since(lab, learner, mark, "execution")]
    assert steps == [
        ("ExecutionStarted", None, None, None),
        ("TaskStateEntered", "CallFlaky", None, None),
        ("TaskFailed", None, "TransientError", "retry after 1 s (lab time: 10 ms)"),
        ("TaskFailed", None, "TransientError", "retry after 2 s (lab time: 20 ms)"),
        ("TaskStateEntered", "Record", None, None),
        ("ExecutionSucceeded", None, None, None)]
    calls = {(e["operation"], e["caller"]) for e in events_since(lab, learner, mark, "api_call")}
    machine = workflows["RetryMachine"].rsplit(":", 1)[-1]
    assert {("Invoke", f"states:{machine}"), ("PutItem", f"states:{machine}")} <= calls


def test_history_has_aws_event_types(sandbox, workflows):
    execution = execute(sandbox, workflows["RetryMachine"], {"id": "order-2", "fail_times": 1})
    events = history(sandbox, execution["executionArn"])
    assert [e["type"] for e in events] == [
        "ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskFailed",
        "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited",
        "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited",
        "ExecutionSucceeded"]
    assert [e["id"] for e in events] == list(range(1, len(events) + 1))
    failed = events[4]["taskFailedEventDetails"]
    assert (failed["error"], failed["resourceType"], failed["resource"]) == (
        "TransientError", "lambda", "invoke")
    assert json.loads(failed["cause"])["errorMessage"] == "attempt 1 failed"
    scheduled = events[2]["taskScheduledEventDetails"]
    assert json.loads(scheduled["parameters"])["FunctionName"] == (
        f"arn:aws:lambda:us-east-1:{sandbox.account_id}:function:"
        f"{workflows['functions']['Flaky']}")


def test_catch_routes_to_the_compensation_state(sandbox, workflows):
    execution = execute(sandbox, workflows["CatchMachine"], {"id": "order-3"})
    assert execution["status"] == "SUCCEEDED"
    output = json.loads(execution["output"])
    assert output["error"]["Error"] == "ValueError"  # ResultPath $.error keeps the input
    assert json.loads(output["error"]["Cause"])["errorMessage"] == "this step always fails"
    assert item(sandbox, workflows["Results"], "order-3") == {
        "id": "order-3", "status": "COMPENSATED", "error": "ValueError"}
    types = [(e["type"], (e.get("stateEnteredEventDetails") or {}).get("name"))
             for e in history(sandbox, execution["executionArn"])]
    assert types.index(("TaskFailed", None)) < types.index(("TaskStateEntered", "Compensate"))


def test_choice_parallel_map_wait_and_fail(lab, learner, sandbox, workflows):
    flow = workflows["FlowMachine"]
    parallel = execute(sandbox, flow, {"kind": "parallel", "value": 21})
    assert json.loads(parallel["output"]) == {"doubled": 42, "tag": "tagged"}
    types = [e["type"] for e in history(sandbox, parallel["executionArn"])]
    assert types[:4] == ["ExecutionStarted", "ChoiceStateEntered", "ChoiceStateExited",
                         "ParallelStateEntered"]
    # The bare function ARN as Resource: Lambda's own history events.
    assert {"LambdaFunctionScheduled", "LambdaFunctionSucceeded", "PassStateEntered"} <= set(types)

    mapped = execute(sandbox, flow, {"kind": "map", "items": [1, 2, 3]})
    assert json.loads(mapped["output"])["doubled"] == [2, 4, 6]
    types = [e["type"] for e in history(sandbox, mapped["executionArn"])]
    assert types.count("MapIterationSucceeded") == 3

    mark = trace_mark(lab, learner)
    sfn = sandbox.client("stepfunctions")
    started = sfn.start_execution(stateMachineArn=flow,
                                  input=json.dumps({"kind": "wait", "seconds": 120}))
    assert lab.trace(learner, since=mark)["quiet"] is False  # the execution is in flight
    deadline = time.monotonic() + EXECUTION_TIMEOUT_SECONDS
    while (waited := sfn.describe_execution(executionArn=started["executionArn"]))[
            "status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert json.loads(waited["output"]) == {"waited": 120}
    # On lab time: shorter than the 120 s it stands for, however slow the machine.
    assert (waited["stopDate"] - waited["startDate"]).total_seconds() < 120
    [entered] = [e for e in events_since(lab, learner, mark, "execution")
                 if e["event"] == "WaitStateEntered"]
    assert entered["note"].startswith("waits 120 s (lab time: 1200 ms")
    assert lab.trace(learner, since=mark)["quiet"] is True

    unknown = execute(sandbox, flow, {"kind": "teleport"})
    assert (unknown["status"], unknown["error"], unknown["cause"]) == (
        "FAILED", "UnknownKind", "kind must be parallel, map or wait")


def test_advancing_the_sandbox_clock_ends_a_wait(lab, learner, sandbox, workflows):
    sfn = sandbox.client("stepfunctions")
    mark = trace_mark(lab, learner)
    started = sfn.start_execution(stateMachineArn=workflows["FlowMachine"],
                                  input=json.dumps({"kind": "wait", "seconds": 3600}))
    deadline = time.monotonic() + EXECUTION_TIMEOUT_SECONDS
    while not any(e["event"] == "WaitStateEntered"
                  for e in events_since(lab, learner, mark, "execution")):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    lab.clock(learner, advance="2h")  # past the Wait's end, long before its 36 s of lab time
    while (waited := sfn.describe_execution(executionArn=started["executionArn"]))[
            "status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert json.loads(waited["output"]) == {"waited": 3600}
    # Ended by the advance: left to the clock, the Wait alone would take 36 s.
    assert (waited["stopDate"] - waited["startDate"]).total_seconds() < EXECUTION_TIMEOUT_SECONDS


def test_dynamodb_sns_and_sqs_integrations_act_in_the_learners_account(
        lab, learner, sandbox, workflows):
    sqs, sns = sandbox.client("sqs"), sandbox.client("sns")
    inbox = sqs.create_queue(QueueName="notices-inbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=workflows["Notices"], Protocol="sqs", Endpoint=inbox_arn,
                  Attributes={"RawMessageDelivery": "true"})
    mark = trace_mark(lab, learner)
    execution = execute(sandbox, workflows["IntegrationsMachine"], {"id": "order-4"})
    assert execution["status"] == "SUCCEEDED"
    assert json.loads(execution["output"]) == {"id": "order-4", "read": {"status": "DONE"}}
    assert item(sandbox, workflows["Results"], "order-4") == {"id": "order-4",
                                                              "status": "DONE"}
    assert item(sandbox, workflows["Results"], "scratch") == {}  # put, then deleted
    [sent] = sqs.receive_message(QueueUrl=workflows["Outbox"])["Messages"]
    assert json.loads(sent["Body"]) == {"id": "order-4", "read": {"status": "DONE"}}
    [published] = sqs.receive_message(QueueUrl=inbox)["Messages"]
    assert published["Body"] == "DONE"
    calls = [e["operation"] for e in events_since(lab, learner, mark, "api_call")
             if e["caller"].startswith("states:")]
    assert calls == ["PutItem", "UpdateItem", "GetItem", "Publish", "SendMessage", "PutItem",
                     "DeleteItem"]
    kinds = {e["taskScheduledEventDetails"]["resourceType"]
             for e in history(sandbox, execution["executionArn"])
             if e["type"] == "TaskScheduled"}
    assert kinds == {"dynamodb", "sns", "sqs"}


def test_a_function_timeout_is_lambda_unknown(sandbox, workflows):
    execution = execute(sandbox, workflows["SlowMachine"], {})
    assert (execution["status"], execution["error"]) == ("FAILED", "Lambda.Unknown")
    # Lambda.Unknown is in "Handling errors in Step Functions workflows"
    # (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html); the
    # cause's text is AWS's execution output as the lab holds it (no page spells it out).
    assert execution["cause"].startswith("The cause could not be determined because Lambda "
                                         "did not return an error type. Returned payload: ")
    assert "Task timed out after 1.00 seconds" in execution["cause"]


def test_another_learners_resources_are_out_of_reach(lab, learner, sandbox, workflows):
    other = lab.deploy(learner + "-other", str(workflows_folder()), stack="workflows")
    other_function = (f"arn:aws:lambda:us-east-1:{other['account_id']}:function:"
                      f"{other['functions']['Double']}")
    other_mark = trace_mark(lab, learner + "-other")
    execution = execute(sandbox, workflows["AnyFunctionMachine"], {"function": other_function})
    assert (execution["status"], execution["error"]) == ("FAILED", "Lambda.AWSLambdaException")
    assert ("is not authorized to perform: lambda:InvokeFunction on resource: "
            f"{other_function}") in execution["cause"]
    assert "Error Code: AccessDeniedException" in execution["cause"]
    assert lab.trace(learner + "-other", since=other_mark)["events"] == []
    # The same machine calling this learner's own function works.
    own = execute(sandbox, workflows["AnyFunctionMachine"],
                  {"function": workflows["functions"]["Double"]})
    assert own["status"] == "FAILED" and own["error"] == "KeyError"  # ran: no "value" given
    # Nor can this learner start the other's state machine.
    with pytest.raises(ClientError) as refused:
        sandbox.client("stepfunctions").start_execution(
            stateMachineArn=other["resources"]["AnyFunctionMachine"]["physical_id"])
    assert refused.value.response["Error"]["Code"] == "StateMachineDoesNotExist"


def test_deploy_applies_definition_uri_and_substitutions(sandbox, workflows):
    described = sandbox.client("stepfunctions").describe_state_machine(
        stateMachineArn=workflows["RetryMachine"])
    definition = json.loads(described["definition"])
    flaky_arn = (f"arn:aws:lambda:us-east-1:{sandbox.account_id}:function:"
                 f"{workflows['functions']['Flaky']}")
    assert definition["States"]["CallFlaky"]["Parameters"]["FunctionName"] == flaky_arn
    assert definition["States"]["Record"]["Parameters"]["TableName"] == workflows["Results"]
    assert described["roleArn"].endswith(f":role/{workflows['RetryMachineRole']}")


@pytest.mark.parametrize(("properties", "expected"), [
    ({"DefinitionString": '{"A": "${X}", "B": ${N}, "C": ${F}}',
      "DefinitionSubstitutions": {"X": "arn:x", "N": 5, "F": False}},
     {"A": "arn:x", "B": 5, "C": False}),
    ({"Definition": {"StartAt": "${S}"}, "DefinitionSubstitutions": {"S": "Go"}},
     {"StartAt": "Go"}),
    ({"DefinitionString": '{"Keep": "${unknown}"}'}, {"Keep": "${unknown}"}),
])
def test_definition_string_applies_substitutions(properties, expected):
    assert json.loads(definition_string(properties)) == expected


def test_definition_in_s3_is_refused_with_its_name():
    with pytest.raises(ValueError, match="Machine: DefinitionS3Location is not supported"):
        definition_string({"DefinitionS3Location": {"Bucket": "b", "Key": "k"}}, name="Machine")


@pytest.mark.parametrize(("aws_seconds", "lab"), [(1, 0.01), (120, 1.2), (86400, 5.0),
                                                  (0, 0.0)])
def test_lab_time_is_a_hundred_times_faster_and_bounded(aws_seconds, lab):
    assert lab_seconds(aws_seconds) == pytest.approx(lab)


def workflows_folder():
    from tests.cloud.conftest import FUNCTIONS

    return FUNCTIONS / "workflows"


def test_the_moto_internals_the_lab_patches_keep_their_parameters():
    from serverless_lab.cloud.stepfunctions import moto_patch as stepfunctions_moto

    assert stepfunctions_moto.ORIGINAL_PARAMETERS == stepfunctions_moto.EXPECTED_PARAMETERS
    assert stepfunctions_moto.RETRIER_SLEEPS
