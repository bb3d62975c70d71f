"""A message over the service's limit gets AWS's error, and nothing else changes.

The limits are content/aws_numbers.yaml's: SQS 1 MiB (raised from 256 KiB in 2025), SNS
256 KiB by default (sns/moto_patch.py makes moto count bytes and word its error as AWS does).
"""

import botocore.exceptions
import pytest

SQS_MAX = 1024 * 1024
SNS_MAX = 256 * 1024


def test_an_sqs_message_over_1_mib_is_refused_and_the_queue_stays_empty(sandbox):
    sqs = sandbox.client("sqs")
    url = sqs.create_queue(QueueName="limits")["QueueUrl"]

    sqs.send_message(QueueUrl=url, MessageBody="x" * SQS_MAX)  # exactly the limit is fine
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        sqs.send_message(QueueUrl=url, MessageBody="x" * (SQS_MAX + 1))

    error = refused.value.response["Error"]
    assert error["Code"] == "InvalidParameterValue"
    assert error["Message"] == ("One or more parameters are invalid. Reason: Message must be "
                                "shorter than 1048576 bytes.")
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "1"


def test_an_sns_message_over_256_kib_is_refused_and_nothing_is_delivered(sandbox):
    sns, sqs = sandbox.client("sns"), sandbox.client("sqs")
    topic = sns.create_topic(Name="limits")["TopicArn"]
    url = sqs.create_queue(QueueName="limits-subscriber")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)

    with pytest.raises(botocore.exceptions.ClientError) as refused:
        sns.publish(TopicArn=topic, Message="x" * (SNS_MAX + 1))
    with pytest.raises(botocore.exceptions.ClientError, match="Message too long"):
        sns.publish(TopicArn=topic, Message="é" * (SNS_MAX // 2 + 1))  # AWS counts bytes

    error = refused.value.response["Error"]
    assert error["Code"] == "InvalidParameter"
    assert error["Message"] == "Invalid parameter: Message too long"
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"
