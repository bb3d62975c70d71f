"""The SQS event Lambda's poller sends a function, and how it reads the function's answer.

The record is AWS's sample key for key (with-sqs.html): messageId, receiptHandle, body,
attributes (ApproximateReceiveCount, SentTimestamp, SenderId,
ApproximateFirstReceiveTimestamp; for FIFO also SequenceNumber, MessageGroupId,
MessageDeduplicationId), messageAttributes, md5OfBody, eventSource, eventSourceARN, awsRegion.
"""

import base64
import json

REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"


def sqs_record(message, queue) -> dict:
    """One message as Lambda puts it in an SQS event, key for key as AWS's samples."""
    attributes = {"ApproximateReceiveCount": str(message.approximate_receive_count),
                  "SentTimestamp": str(message.sent_timestamp)}
    if queue.fifo_queue:
        attributes.update(SequenceNumber=message.sequence_number,
                          MessageGroupId=message.group_id)
    attributes["SenderId"] = message.sender_id
    if queue.fifo_queue:
        attributes["MessageDeduplicationId"] = message.deduplication_id
    attributes["ApproximateFirstReceiveTimestamp"] = str(
        message.approximate_first_receive_timestamp)
    trace_header = (message.system_attributes or {}).get("AWSTraceHeader")
    if trace_header:
        attributes["AWSTraceHeader"] = trace_header.get("StringValue")
    return {
        "messageId": message.id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": attributes,
        "messageAttributes": {name: _message_attribute(value)
                              for name, value in message.message_attributes.items()},
        "md5OfBody": message.body_md5,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue.queue_arn,
        "awsRegion": queue.region,
    }


def _message_attribute(value: dict) -> dict:
    shaped = {}
    if "StringValue" in value:
        shaped["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        binary = value["BinaryValue"]
        if isinstance(binary, bytes):
            binary = base64.b64encode(binary).decode()
        shaped["binaryValue"] = binary
    shaped.update(stringListValues=[], binaryListValues=[], dataType=value.get("DataType"))
    return shaped


def failed_message_ids(payload: str | None, batch_ids: list[str]) -> set[str]:
    """The messages a `ReportBatchItemFailures` answer leaves in the queue. AWS treats the
    batch as a complete success for a null or empty answer or an empty or null
    batchItemFailures, and as a complete failure for an answer that is not a JSON object,
    an itemIdentifier that is empty, null, under another key or not a message of the batch."""
    everything = set(batch_ids)
    try:
        answer = json.loads(payload) if payload else None
    except json.JSONDecodeError:
        return everything
    if answer is None:
        return set()
    if not isinstance(answer, dict):
        return everything
    failures = answer.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        return everything
    failed = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in everything:
            return everything
        failed.add(identifier)
    return failed
