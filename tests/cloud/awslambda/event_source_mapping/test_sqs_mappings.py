"""SQS event source mappings with the Lambda service's semantics
(event_source_mapping/sqs_poller.py).

The SAM folder tests/cloud/functions/sqs-consumers has a standard queue (visibility timeout
2 s, redrive after 2 receives, batches of 5 with a 1 s window, partial batch responses), a
FIFO queue and a filtered mapping. Each test sends messages with the learner's credentials
and asserts what AWS would leave behind: the queues' state and the trace's hops.
"""

import hashlib
import json

import pytest
from botocore.exceptions import ClientError

from serverless_lab.cloud.awslambda.event_source_mapping import filters as event_filters
from serverless_lab.cloud.awslambda.event_source_mapping.sqs_events import failed_message_ids
from tests.conftest import trace_mark, wait_until

RECORD_KEYS = {"messageId", "receiptHandle", "body", "attributes", "messageAttributes",
               "md5OfBody", "eventSource", "eventSourceARN", "awsRegion"}
ATTRIBUTE_KEYS = {"ApproximateReceiveCount", "SentTimestamp", "SenderId",
                  "ApproximateFirstReceiveTimestamp"}
FIFO_ATTRIBUTE_KEYS = ATTRIBUTE_KEYS | {"SequenceNumber", "MessageGroupId",
                                        "MessageDeduplicationId"}
VISIBILITY_TIMEOUT = 2


@pytest.fixture
def consumers(deploy, sandbox, lab, learner):
    """The deployed folder, the learner's SQS client and the trace mark before the test."""
    deployment = deploy("sqs-consumers")

    class Consumers:
        sqs = sandbox.client("sqs")
        resources = deployment["resources"]
        functions = deployment["functions"]
        mark = trace_mark(lab, learner)

        @classmethod
        def url(cls, logical_id):
            return cls.resources[logical_id]["physical_id"]

        @classmethod
        def depth(cls, logical_id) -> tuple[int, int]:
            """(visible, in flight) messages of a queue."""
            found = cls.sqs.get_queue_attributes(
                QueueUrl=cls.url(logical_id),
                AttributeNames=["ApproximateNumberOfMessages",
                                "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
            return (int(found["ApproximateNumberOfMessages"]),
                    int(found["ApproximateNumberOfMessagesNotVisible"]))

        @classmethod
        def events(cls, *, kind=None, mode=None):
            found = lab.trace(learner, since=cls.mark)["events"]
            return [e for e in found if (kind is None or e["type"] == kind)
                    and (mode is None or e.get("mode") == mode)]

        @classmethod
        def finished_deliveries(cls):
            """Batches the poller has delivered and settled (deleted or left to retry)."""
            return [e for e in cls.events(kind="delivery", mode="poll") if "outcome" in e]

        @classmethod
        def wait(cls, condition, timeout=20.0):
            wait_until(condition, timeout)

        @classmethod
        def wait_quiet(cls, timeout=20.0):
            cls.wait(lambda: lab.trace(learner, since=cls.mark)["quiet"], timeout)

    return Consumers


def _bodies(*messages) -> list[dict]:
    return [{"Id": str(i), "MessageBody": json.dumps(m)} for i, m in enumerate(messages)]


def _processed(invocations) -> list[str]:
    return [line.split(" ", 1)[1] for i in invocations for line in i["logs"].splitlines()
            if line.startswith("PROCESSED ")]


def test_send_message_returns_before_the_consumer_runs(consumers):
    sent = consumers.sqs.send_message(QueueUrl=consumers.url("Work"), MessageBody='{"n": 1}')
    consumers.wait_quiet()
    [call] = [e for e in consumers.events(kind="api_call") if e["operation"] == "SendMessage"]
    [delivery] = consumers.events(kind="delivery", mode="poll")
    [invocation] = consumers.events(kind="invocation")
    # The producer had its answer before the consumer started: the lab's record of the
    # SendMessage call ended before the invocation began (times the lab took, so they do
    # not depend on when this test's thread got to run).
    assert call["status"] == 200
    assert call["at"] + call["duration_ms"] / 1000 < invocation["at"]
    # The message waited in the queue for the poller, which received it once.
    [record] = delivery["event"]["Records"]
    assert record["messageId"] == sent["MessageId"]
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert (int(record["attributes"]["SentTimestamp"])
            <= int(record["attributes"]["ApproximateFirstReceiveTimestamp"]))
    assert delivery["source"] == "aws:sqs" and delivery["batch_size"] == 1
    assert _processed([invocation]) == ["1"]
    assert consumers.depth("Work") == (0, 0)


def test_batch_size_and_window_gather_five_messages_into_one_invocation(consumers):
    consumers.sqs.send_message_batch(QueueUrl=consumers.url("Work"),
                                     Entries=_bodies(*({"n": n} for n in range(5))))
    consumers.wait_quiet()
    [delivery] = consumers.events(kind="delivery", mode="poll")
    [invocation] = consumers.events(kind="invocation")
    assert delivery["batch_size"] == 5 and delivery["outcome"] == "success"
    assert delivery["target"] == consumers.functions["Consumer"]
    assert invocation["function_name"] == consumers.functions["Consumer"]
    assert sorted(_processed([invocation])) == ["0", "1", "2", "3", "4"]
    assert consumers.depth("Work") == (0, 0)


def test_a_single_message_waits_for_the_batching_window(consumers):
    consumers.sqs.send_message(QueueUrl=consumers.url("Work"), MessageBody='{"n": 1}')
    consumers.wait_quiet()
    [delivery] = consumers.events(kind="delivery", mode="poll")
    [invocation] = consumers.events(kind="invocation")
    [record] = delivery["event"]["Records"]
    # From the poller's first receive (SQS's own timestamp) to the invocation: the whole
    # window (MaximumBatchingWindowInSeconds: 1), however the threads were scheduled.
    first_receive = int(record["attributes"]["ApproximateFirstReceiveTimestamp"]) / 1000
    assert invocation["at"] - first_receive >= 1 - 0.01
    assert delivery["batch_size"] == 1


def test_event_document_matches_aws_sample_key_for_key(consumers):
    body = '{"n": 7}'
    consumers.sqs.send_message(
        QueueUrl=consumers.url("Work"), MessageBody=body,
        MessageAttributes={"origin": {"DataType": "String", "StringValue": "test"}})
    consumers.wait_quiet()
    [delivery] = consumers.events(kind="delivery", mode="poll")
    [record] = delivery["event"]["Records"]
    assert set(record) == RECORD_KEYS
    assert set(record["attributes"]) == ATTRIBUTE_KEYS
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["body"] == body
    assert record["md5OfBody"] == hashlib.md5(body.encode()).hexdigest()
    assert record["eventSource"] == "aws:sqs" and record["awsRegion"] == "us-east-1"
    queue_arn = consumers.sqs.get_queue_attributes(
        QueueUrl=consumers.url("Work"), AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert record["eventSourceARN"] == queue_arn
    assert record["messageAttributes"] == {"origin": {
        "stringValue": "test", "stringListValues": [], "binaryListValues": [],
        "dataType": "String"}}


def _received_again_after(record: dict, retry: dict) -> float:
    """Seconds from a message's first receive (SQS's own timestamp) to the retry's delivery,
    which is recorded after the second receive: so a lower bound on the time it stayed
    invisible, however the threads were scheduled."""
    return retry["at"] - int(record["attributes"]["ApproximateFirstReceiveTimestamp"]) / 1000


def test_partial_batch_response_returns_only_the_failed_message(consumers):
    consumers.sqs.send_message_batch(QueueUrl=consumers.url("Work"), Entries=_bodies(
        {"n": 1}, {"n": 2, "fail": "first"}, {"n": 3}))
    consumers.wait(lambda: consumers.finished_deliveries())
    [first] = consumers.finished_deliveries()
    failing = first["event"]["Records"][1]["messageId"]
    assert first["batch_size"] == 3
    assert first["outcome"] == "partial" and first["failed"] == [failing]
    consumers.wait_quiet()
    # The two that succeeded were deleted (the one retry carries only the failed message:
    # a message left in the queue would have come back with it); the failed one stayed
    # invisible until its timeout. (The queue's depth is not read meanwhile: the 2 s
    # timeout may have run out by the time this thread asks.)
    [retry] = consumers.events(kind="delivery", mode="poll")[1:]
    [record] = retry["event"]["Records"]
    assert record["messageId"] == failing
    assert record["attributes"]["ApproximateReceiveCount"] == "2"
    assert _received_again_after(record, retry) >= VISIBILITY_TIMEOUT - 0.01
    assert sorted(_processed(consumers.events(kind="invocation"))) == ["1", "2", "3"]
    assert consumers.depth("Work") == (0, 0) and consumers.depth("DeadLetters") == (0, 0)


def test_function_error_returns_the_whole_batch_after_the_visibility_timeout(consumers):
    consumers.sqs.send_message_batch(QueueUrl=consumers.url("Work"), Entries=_bodies(
        {"n": 1}, {"n": 2, "fail": "batch-first"}))
    consumers.wait(lambda: consumers.finished_deliveries())
    [first] = consumers.finished_deliveries()
    assert first["outcome"] == "failure" and len(first["failed"]) == 2
    consumers.wait_quiet()
    # Neither was deleted: both came back in the one retry, received a second time after
    # the visibility timeout.
    first, retry = consumers.events(kind="delivery", mode="poll")
    assert retry["batch_size"] == 2 and retry["outcome"] == "success"
    assert {r["messageId"] for r in retry["event"]["Records"]} == {
        r["messageId"] for r in first["event"]["Records"]}
    assert {r["attributes"]["ApproximateReceiveCount"] for r in retry["event"]["Records"]} \
        == {"2"}
    assert all(_received_again_after(r, retry) >= VISIBILITY_TIMEOUT - 0.01
               for r in retry["event"]["Records"])
    [failed, succeeded] = consumers.events(kind="invocation")
    assert failed["error"]["errorType"] == "RuntimeError" and succeeded["error"] is None
    assert consumers.depth("Work") == (0, 0)


def test_message_moves_to_the_dead_letter_queue_after_max_receive_count(consumers):
    sent = consumers.sqs.send_message(QueueUrl=consumers.url("Work"),
                                      MessageBody='{"n": 9, "fail": "batch"}')
    consumers.wait_quiet()
    deliveries = consumers.events(kind="delivery", mode="poll")
    assert [d["outcome"] for d in deliveries] == ["failure", "failure"]  # maxReceiveCount 2
    [redrive] = consumers.events(kind="delivery", mode="redrive")
    assert redrive["message_ids"] == [sent["MessageId"]] and redrive["max_receive_count"] == 2
    assert redrive["target"] == consumers.url("DeadLetters").rsplit("/", 1)[-1]
    assert consumers.depth("Work") == (0, 0)
    [dead] = consumers.sqs.receive_message(QueueUrl=consumers.url("DeadLetters"))["Messages"]
    assert dead["MessageId"] == sent["MessageId"]
    assert json.loads(dead["Body"]) == {"n": 9, "fail": "batch"}
    assert len(consumers.events(kind="invocation")) == 2


def test_fifo_keeps_order_per_group_and_a_failed_group_blocks_only_itself(consumers):
    url = consumers.url("Ordered")
    entries = [("A", {"n": 1, "fail": "first"}), ("A", {"n": 2}), ("B", {"n": 1}),
               ("A", {"n": 3}), ("B", {"n": 2})]
    # Content-based deduplication hashes the body, so each body names its group.
    consumers.sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": str(i), "MessageBody": json.dumps({**body, "group": group}),
         "MessageGroupId": group} for i, (group, body) in enumerate(entries)])
    consumers.wait_quiet()
    deliveries = consumers.events(kind="delivery", mode="poll")
    # The batch holding A1 (a loaded machine's poller may take the five in more than one).
    first = next(d for d in deliveries if any(json.loads(r["body"]).get("fail")
                                              for r in d["event"]["Records"]))
    group_a = [r["messageId"] for r in first["event"]["Records"]
               if r["attributes"]["MessageGroupId"] == "A"]
    # A1 failed, so every A message of that batch after it failed too: the group waits. The
    # batch is a partial failure when it also held B messages; a loaded machine's poller may
    # have taken A's alone, and a batch whose every message failed is a failure.
    assert sorted(first["failed"]) == sorted(group_a)
    assert first["outcome"] == ("partial" if len(group_a) < len(first["event"]["Records"])
                                else "failure")
    retry = deliveries[-1]
    assert {r["attributes"]["MessageGroupId"] for r in retry["event"]["Records"]} == {"A"}
    processed = _processed(consumers.events(kind="invocation"))
    assert [p for p in processed if p[0] == "A"] == ["A1", "A2", "A3"]
    assert [p for p in processed if p[0] == "B"] == ["B1", "B2"]
    assert processed.index("B2") < processed.index("A1")  # B was not held up by A
    record = first["event"]["Records"][0]
    assert set(record) == RECORD_KEYS and set(record["attributes"]) == FIFO_ATTRIBUTE_KEYS
    assert record["attributes"]["SequenceNumber"].isdigit()
    assert consumers.depth("Ordered") == (0, 0)


def test_filter_criteria_deletes_messages_that_do_not_match_without_invoking(consumers):
    url = consumers.url("Mixed")
    consumers.sqs.send_message(QueueUrl=url, MessageBody='{"kind": "refund", "n": 1}')
    consumers.sqs.send_message(QueueUrl=url, MessageBody="plain text, not JSON")
    consumers.sqs.send_message(QueueUrl=url, MessageBody='{"kind": "order", "n": 2}')
    consumers.wait_quiet()
    deliveries = consumers.events(kind="delivery", mode="poll")
    assert [json.loads(r["body"])["n"] for d in deliveries for r in d["event"]["Records"]] == [2]
    assert len(consumers.events(kind="delivery", mode="filtered")) == 2
    assert _processed(consumers.events(kind="invocation")) == ["2"]
    assert consumers.depth("Mixed") == (0, 0)


def test_disabled_and_deleted_mappings_stop_polling(consumers, sandbox):
    lam = sandbox.client("lambda")
    [mapping] = lam.list_event_source_mappings(
        FunctionName=consumers.functions["OrdersOnly"])["EventSourceMappings"]
    lam.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)
    url = consumers.url("Mixed")
    consumers.sqs.send_message(QueueUrl=url, MessageBody='{"kind": "order", "n": 1}')
    # A message sent after it to an enabled mapping's queue, waited for instead of a fixed
    # sleep: by the time it has been delivered (after its 1 s window) and the sandbox is
    # quiet, a poller still running for the disabled mapping would have taken the first.
    _deliver_a_later_message(consumers)
    assert [d["queue"] for d in consumers.events(kind="delivery")] == [_arn(consumers, "Work")]
    assert _processed(consumers.events(kind="invocation")) == ["later"]
    assert consumers.depth("Mixed") == (1, 0)
    lam.update_event_source_mapping(UUID=mapping["UUID"], Enabled=True)
    consumers.wait(lambda: consumers.depth("Mixed") == (0, 0))
    assert _processed(consumers.events(kind="invocation")) == ["later", "1"]
    lam.delete_event_source_mapping(UUID=mapping["UUID"])
    consumers.sqs.send_message(QueueUrl=url, MessageBody='{"kind": "order", "n": 2}')
    _deliver_a_later_message(consumers)
    assert consumers.depth("Mixed") == (1, 0)
    assert _processed(consumers.events(kind="invocation")) == ["later", "1", "later"]


def _arn(consumers, logical_id) -> str:
    return consumers.sqs.get_queue_attributes(
        QueueUrl=consumers.url(logical_id), AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _deliver_a_later_message(consumers) -> None:
    """Send {"n": "later"} to the Work queue (an enabled mapping) and wait until it has been
    processed and the sandbox is quiet."""
    done = len(_processed(consumers.events(kind="invocation")))
    consumers.sqs.send_message(QueueUrl=consumers.url("Work"), MessageBody='{"n": "later"}')
    consumers.wait(lambda: len(_processed(consumers.events(kind="invocation"))) > done)
    consumers.wait_quiet()


def test_mapping_created_through_the_api_polls_too(consumers, sandbox):
    lam = sandbox.client("lambda")
    queue = consumers.sqs.create_queue(QueueName="by-hand", Attributes={
        "VisibilityTimeout": "2"})["QueueUrl"]
    arn = consumers.sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    lam.create_event_source_mapping(EventSourceArn=arn, BatchSize=2,
                                    FunctionName=consumers.functions["Consumer"])
    consumers.sqs.send_message_batch(QueueUrl=queue, Entries=_bodies({"n": 1}, {"n": 2},
                                                                     {"n": 3}))
    consumers.wait_quiet()
    deliveries = consumers.events(kind="delivery", mode="poll")
    assert all(d["batch_size"] <= 2 for d in deliveries)
    assert sum(d["batch_size"] for d in deliveries) == 3


def test_create_refuses_what_lambda_refuses(consumers, sandbox):
    lam = sandbox.client("lambda")
    short = consumers.sqs.create_queue(QueueName="short", Attributes={
        "VisibilityTimeout": "1"})["QueueUrl"]
    arn = consumers.sqs.get_queue_attributes(QueueUrl=short, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    function = consumers.functions["Consumer"]  # Timeout: 2
    with pytest.raises(ClientError, match="Queue visibility timeout: 1 seconds is less than "
                                          "Function timeout: 2 seconds"):
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=function)
    consumers.sqs.set_queue_attributes(QueueUrl=short, Attributes={"VisibilityTimeout": "12"})
    # AWS's words for the rule in the CreateEventSourceMapping reference ("When you set
    # BatchSize to a value greater than 10, you must set MaximumBatchingWindowInSeconds to at
    # least 1": https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html);
    # the page states the rule, not this text, which is what the lab holds Lambda to answer.
    with pytest.raises(ClientError, match="Maximum batch window in seconds must be greater "
                                          "than 0 if maximum batch size is greater than 10"):
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=function,
                                        BatchSize=50)
    with pytest.raises(ClientError, match="Invalid filter pattern definition"):
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=function,
                                        FilterCriteria={"Filters": [{"Pattern": "{body"}]})
    assert lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"] == []


BATCH = ["m1", "m2", "m3"]


@pytest.mark.parametrize(("payload", "failed"), [
    (None, set()),  # a null answer: complete success
    ("{}", set()),  # an empty answer
    ('{"batchItemFailures": []}', set()),
    ('{"batchItemFailures": null}', set()),
    ('{"statusCode": 200}', set()),  # no batchItemFailures at all
    ('{"batchItemFailures": [{"itemIdentifier": "m2"}]}', {"m2"}),
    ("not json", set(BATCH)),  # invalid JSON: complete failure
    ('"done"', set(BATCH)),  # not an object
    ('{"batchItemFailures": [{"itemIdentifier": ""}]}', set(BATCH)),
    ('{"batchItemFailures": [{"itemIdentifier": null}]}', set(BATCH)),
    ('{"batchItemFailures": [{"messageId": "m2"}]}', set(BATCH)),  # bad key name
    ('{"batchItemFailures": [{"itemIdentifier": "m9"}]}', set(BATCH)),  # not in the batch
])
def test_partial_batch_answers_as_aws_reads_them(payload, failed):
    assert failed_message_ids(payload, BATCH) == failed


def _record(body: str) -> dict:
    return {"messageId": "m1", "body": body, "attributes": {"ApproximateReceiveCount": "1"}}


@pytest.mark.parametrize(("pattern", "body", "matches"), [
    ({"body": {"kind": ["order"]}}, '{"kind": "order"}', True),
    ({"body": {"kind": ["order"]}}, '{"kind": "refund"}', False),
    ({"body": {"kind": ["order"]}}, "kind=order", False),  # JSON pattern, plain body
    ({"body": ["hello"]}, "hello", True),  # plain-string pattern, plain body
    ({"body": ["hello"]}, '{"a": 1}', False),  # plain-string pattern, JSON body
    ({"body": [{"prefix": "INFO"}]}, "INFO started", True),
    ({"body": {"n": [{"numeric": [">", 10, "<=", 20]}]}}, '{"n": 15}', True),
    ({"body": {"n": [{"numeric": [">", 10, "<=", 20]}]}}, '{"n": 25}', False),
    ({"body": {"state": [{"anything-but": ["done"]}]}}, '{"state": "new"}', True),
    ({"body": {"state": [{"anything-but": ["done"]}]}}, '{"state": "done"}', False),
    ({"body": {"id": [{"exists": False}]}}, '{"n": 1}', True),
    ({"body": {"id": [{"exists": True}]}}, '{"n": 1}', False),
    ({"body": {"name": [{"equals-ignore-case": "ADA"}]}}, '{"name": "ada"}', True),
    ({"body": {"file": [{"suffix": ".png"}]}}, '{"file": "a.png"}', True),
    ({"body": {"tags": ["red"]}}, '{"tags": ["blue", "red"]}', True),  # any element
    ({"body": {"$or": [{"a": [1]}, {"b": [2]}]}}, '{"b": 2}', True),
    ({"body": {"user": [None]}}, '{"user": null}', True),
    ({"body": {"user": [None]}}, "{}", False),
])
def test_filter_patterns_match_as_lambda_event_filtering(pattern, body, matches):
    assert event_filters.sqs_record_matches(_record(body), [pattern]) is matches


@pytest.mark.parametrize("raw", ["{body", "[]", "{}", '{"body": "x"}', '{"body": []}'])
def test_malformed_filter_patterns_are_refused(raw):
    with pytest.raises(event_filters.InvalidFilter, match="Invalid filter pattern definition"):
        event_filters.patterns_parse({"Filters": [{"Pattern": raw}]})
