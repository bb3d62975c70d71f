"""Recursive loop detection: a function that keeps triggering itself is stopped, as on AWS."""

import json

from serverless_lab.cloud.awslambda.recursion import MAX_CHAIN
from tests.conftest import trace_mark, wait_quiet


def test_a_self_triggering_function_is_stopped_after_16_invocations(lab, learner, deploy,
                                                                     sandbox):
    deployment = deploy("loop")
    mark = trace_mark(lab, learner)
    sandbox.client("sns").publish(TopicArn=deployment["resources"]["Echoes"]["physical_id"],
                                  Message="0")
    wait_quiet(lab, learner, timeout=60)
    events = lab.trace(learner, since=mark)["events"]
    invocations = sorted((e for e in events if e["type"] == "invocation"), key=lambda e: e["at"])
    assert len(invocations) == MAX_CHAIN == 16
    assert [json.loads(i["payload"])["hops"] for i in invocations] == list(range(1, 17))
    [stopped] = [e for e in events if e.get("recursion_stopped")]
    assert "recursive loop after 16 invocations" in stopped["message"]
    # The stopped event went to the function's dead-letter queue.
    [message] = sandbox.client("sqs").receive_message(
        QueueUrl=deployment["resources"]["Stopped"]["physical_id"])["Messages"]
    assert json.loads(message["Body"])["Records"][0]["Sns"]["Message"] == "16"


def test_a_function_that_feeds_its_own_queue_is_stopped_after_16_invocations(lab, learner, deploy,
                                                                             sandbox):
    deployment = deploy("sqs-loop")
    queues = {name: deployment["resources"][name]["physical_id"] for name in ("Echoes", "Stopped")}
    mark = trace_mark(lab, learner)
    sqs = sandbox.client("sqs")
    sqs.send_message(QueueUrl=queues["Echoes"], MessageBody="0")
    wait_quiet(lab, learner, timeout=60)
    events = lab.trace(learner, since=mark)["events"]
    invocations = sorted((e for e in events if e["type"] == "invocation"), key=lambda e: e["at"])
    assert [json.loads(i["payload"])["hops"] for i in invocations] == list(range(1, 17))
    # Each message a handler sent carried the chain in its X-Ray trace header, as on AWS.
    polled = [e for e in events if e["type"] == "delivery" and e.get("mode") == "poll"
              and not e.get("recursion_stopped")]
    headers = [e["event"]["Records"][0]["attributes"].get("AWSTraceHeader", "") for e in polled]
    assert headers[0] == "" and all(f":{n}" in h for n, h in enumerate(headers[1:], start=1))
    [stopped] = [e for e in events if e.get("recursion_stopped")]
    assert stopped["source"] == "lambda:recursion-detection"
    assert "recursive loop after 16 invocations" in stopped["message"]
    assert stopped["dead_letter_queue"] == queues["Stopped"].rsplit("/", 1)[-1]
    # The 17th message went to the queue's dead-letter queue; the queue itself is empty.
    [message] = sqs.receive_message(QueueUrl=queues["Stopped"])["Messages"]
    assert message["Body"] == "16"
    attributes = sqs.get_queue_attributes(QueueUrl=queues["Echoes"],
                                          AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_sqs_keeps_the_trace_header_moto_would_drop_from_a_batch():
    from serverless_lab.cloud.awslambda import recursion

    assert recursion.send_signature_matches()
