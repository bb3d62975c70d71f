"""A redrive policy naming a dead-letter queue that does not exist: SQS's error, and nothing
changes (sqs/redrive_policy.py)."""

import json

import botocore.exceptions
import pytest


def _missing_dlq(sandbox) -> str:
    return f"arn:aws:sqs:us-east-1:{sandbox.account_id}:no-such-dlq"


def test_setting_a_redrive_policy_to_a_missing_queue_changes_nothing(sandbox):
    sqs = sandbox.client("sqs")
    url = sqs.create_queue(QueueName="orders", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    policy = json.dumps({"deadLetterTargetArn": _missing_dlq(sandbox), "maxReceiveCount": 3},
                        separators=(",", ":"))

    with pytest.raises(botocore.exceptions.ClientError) as refused:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "90",
                                                           "RedrivePolicy": policy})

    error = refused.value.response["Error"]
    assert error["Code"] == "InvalidParameterValue"
    assert error["Message"] == (f"Value {policy} for parameter RedrivePolicy is invalid. "
                                "Reason: Dead letter target does not exist.")
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "30"
    assert "RedrivePolicy" not in attributes


def test_creating_a_queue_with_a_missing_dead_letter_queue_creates_nothing(sandbox):
    sqs = sandbox.client("sqs")
    policy = json.dumps({"deadLetterTargetArn": _missing_dlq(sandbox), "maxReceiveCount": 3})

    with pytest.raises(botocore.exceptions.ClientError, match="Dead letter target does not"):
        sqs.create_queue(QueueName="orphan", Attributes={"RedrivePolicy": policy})

    assert "QueueUrls" not in sqs.list_queues()


def test_a_dead_letter_queue_that_exists_is_accepted(sandbox):
    sqs = sandbox.client("sqs")
    dlq = sqs.create_queue(QueueName="orders-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3})

    url = sqs.create_queue(QueueName="orders", Attributes={"RedrivePolicy": policy})["QueueUrl"]

    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])
    assert json.loads(attributes["Attributes"]["RedrivePolicy"])["deadLetterTargetArn"] == dlq_arn
