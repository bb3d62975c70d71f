"""Recursive loop detection: a function that keeps triggering itself is stopped, as on AWS."""

import json

from serverless_lab.cloud.recursion import MAX_CHAIN
from tests.conftest import wait_quiet


def test_a_self_triggering_function_is_stopped_after_16_invocations(lab, learner, deploy,
                                                                     sandbox):
    deployment = deploy("loop")
    mark = lab.trace(learner, since=2**62)["last_seq"]
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
