"""Lambda's Invoke API as AWS answers it: sync, async with retries and destinations, DryRun,
throttling."""

import base64
import json
import threading

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import learner_client, trace_mark, wait_quiet, wait_until


@pytest.fixture
def functions(deploy):
    deployment = deploy("async")
    return deployment["functions"], deployment["resources"]


def invocations_of(lab, learner, name, since=0):
    return [e for e in lab.trace(learner, since=since)["events"]
            if e["type"] == "invocation" and e["function_name"] == name]


def test_sync_error_is_unhandled_with_the_error_document_and_a_log_tail(functions, sandbox):
    names, _ = functions
    response = sandbox.client("lambda").invoke(
        FunctionName=names["FailWithDestination"], Payload=b'{"order": 7}', LogType="Tail")
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    error = json.loads(response["Payload"].read())
    assert (error["errorType"], error["errorMessage"]) == ("RuntimeError", "cannot process 7")
    tail = base64.b64decode(response["LogResult"]).decode()
    assert "[ERROR] RuntimeError: cannot process 7" in tail and "REPORT RequestId:" in tail


def test_dry_run_answers_204_and_runs_nothing(lab, learner, functions, sandbox):
    names, _ = functions
    mark = trace_mark(lab, learner)
    response = sandbox.client("lambda").invoke(FunctionName=names["Sleeper"],
                                               InvocationType="DryRun")
    assert response["StatusCode"] == 204
    assert invocations_of(lab, learner, names["Sleeper"], mark) == []


def test_event_invoke_answers_202_before_the_handler_runs(lab, learner, functions, sandbox,
                                                         gate):
    names, _ = functions
    mark = trace_mark(lab, learner)
    # The handler waits at the gate until the test has its answer: a 202 that waited for
    # the handler could not arrive.
    response = sandbox.client("lambda").invoke(
        FunctionName=names["Sleeper"], InvocationType="Event",
        Payload=json.dumps({"gate": gate.spec(), "sleep": 0}))
    assert response["StatusCode"] == 202
    assert invocations_of(lab, learner, names["Sleeper"], mark) == []  # still waiting
    gate.open()
    wait_quiet(lab, learner)
    [done] = invocations_of(lab, learner, names["Sleeper"], mark)
    assert json.loads(done["payload"]) == {"slept": 0}
    assert done["error"] is None


def test_failed_async_event_is_retried_twice_then_sent_to_the_on_failure_destination(
        lab, learner, functions, sandbox):
    names, resources = functions
    mark = trace_mark(lab, learner)
    sandbox.client("lambda").invoke(FunctionName=names["FailWithDestination"],
                                    InvocationType="Event", Payload=b'{"order": 42}')
    wait_quiet(lab, learner)
    assert len(invocations_of(lab, learner, names["FailWithDestination"], mark)) == 3
    retries = [e for e in lab.trace(learner, since=mark)["events"]
               if e["type"] == "delivery" and e["source"] == "lambda:async-retry"]
    assert [(r["attempt"], r["retry_after_s"]) for r in retries] == [(2, 60), (3, 120)]
    messages = sandbox.client("sqs").receive_message(
        QueueUrl=resources["Failures"]["physical_id"])["Messages"]
    record = json.loads(messages[0]["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestPayload"] == {"order": 42}
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorMessage"] == "cannot process 42"


def test_without_a_destination_the_event_goes_to_the_dead_letter_queue(
        lab, learner, functions, sandbox):
    names, resources = functions
    sandbox.client("lambda").invoke(FunctionName=names["FailWithDeadLetterQueue"],
                                    InvocationType="Event", Payload=b'{"order": 9}')
    wait_quiet(lab, learner)
    [message] = sandbox.client("sqs").receive_message(
        QueueUrl=resources["DeadLetters"]["physical_id"], MessageAttributeNames=["All"]
    )["Messages"]
    assert json.loads(message["Body"]) == {"order": 9}  # the event itself, as AWS sends it
    assert message["MessageAttributes"]["ErrorMessage"]["StringValue"] == "cannot process 9"


def test_reserved_concurrency_zero_throttles_every_call(functions, sandbox):
    names, _ = functions
    with pytest.raises(ClientError) as throttled:
        sandbox.client("lambda").invoke(FunctionName=names["NoConcurrency"])
    error = throttled.value.response
    assert error["Error"]["Code"] == "TooManyRequestsException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert error["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"


def test_an_account_limit_of_one_throttles_the_second_concurrent_call(
        lab, learner, functions, sandbox, gate):
    names, _ = functions
    lab.settings(learner, concurrency_limit=1)
    outcomes = []
    # No SDK retries: botocore would retry the throttled call until the first one finished.
    no_retries = learner_client(lab, learner, "lambda",
                                config=Config(retries={"max_attempts": 1}))

    def call():
        try:
            no_retries.invoke(FunctionName=names["Sleeper"],
                              Payload=json.dumps({"gate": gate.spec()}))
            outcomes.append("ran")
        except ClientError as e:
            outcomes.append(e.response["Error"]["Code"])

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    # Whichever call runs waits at the gate until the other has had its answer (or, if the
    # lab let both run, until both are waiting there): they overlap however slow the machine.
    wait_until(lambda: len(outcomes) + gate.started() >= 2)
    gate.open()
    for thread in threads:
        thread.join()
    lab.settings(learner, concurrency_limit=1000)
    assert sorted(outcomes) == ["TooManyRequestsException", "ran"]
