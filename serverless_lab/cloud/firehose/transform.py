"""Data transformation with Lambda in a Firehose stream: the processor's settings, AWS's event,
the status model of the answer, and the document of a record that failed.

Sources (developer guide, checked 2026-11): "Transform source data in Amazon Data Firehose"
(the processor buffers incoming data, 0.2-3 MB, default 1 MB; 0-900 seconds, default 60;
then invokes the function synchronously with each batch; 6 MB request and response limit),
"Required parameters for data transformation" (recordId, result Ok | Dropped |
ProcessingFailed, data base64), "Handle failure in data transformation" (NumberOfRetries,
default 3; failed records written under processing-failed with attemptsMade,
arrivalTimestamp, errorCode, errorMessage, attemptEndingTimestamp, rawData and the function's
ARN), and the ProcessorParameter API reference. The event's Kinesis fields follow AWS's sample
Firehose event (sourceKinesisStreamArn, kinesisRecordMetadata).

The error codes and messages are Firehose's, as its CloudWatch error logs and the documents it
writes to S3 show them. One detail differs from the guide: the guide spells the last key
`lambdaArn`, while the documents Firehose writes, as captured from S3, spell it `lambdaARN`;
the lab writes what a reader of the bucket finds.
"""

import base64
import json
import uuid
from dataclasses import dataclass

MIB = 1024 * 1024
PAYLOAD_LIMIT = 6 * 1024 * 1024  # a synchronous invocation's request and response
DEFAULT_RETRIES = 3
DEFAULT_BUFFER_MB = 1.0
DEFAULT_INTERVAL_SECONDS = 60
BUFFER_MB_RANGE = (0.2, 3.0)
INTERVAL_RANGE = (0, 900)
RESULTS = ("Ok", "Dropped", "ProcessingFailed")
ERROR_OUTPUT_TYPE = "processing-failed"

# (errorCode, errorMessage) for each way a transformation fails.
FUNCTION_ERROR = ("Lambda.FunctionError",
                  "The Lambda function was successfully invoked but it returned an error result.")
PROCESSING_FAILED = ("Lambda.ProcessingFailedStatus", "ProcessingFailed status set for record")
MISSING_RECORD_ID = ("Lambda.MissingRecordId",
                     "One or more record Ids were not returned. Ensure that the Lambda function "
                     "returns all received record Ids.")
DUPLICATED_RECORD_ID = ("Lambda.DuplicatedRecordId",
                        "Multiple records were returned with the same record ID. Ensure that "
                        "the Lambda function returns unique record IDs for each record.")
JSON_PROCESSING = ("Lambda.JsonProcessingException",
                   "There was an error parsing returned records from the Lambda function. "
                   "Ensure that the returned records follow the status model required by "
                   "Firehose.")
RESOURCE_NOT_FOUND = ("Lambda.ResourceNotFound",
                      "The specified Lambda function does not exist. Use a different function "
                      "that does exist.")
INVOKE_LIMIT = ("Lambda.InvokeLimitExceeded",
                "The Lambda concurrent execution limit is exceeded. Increase the concurrent "
                "execution limit.")


@dataclass(frozen=True)
class LambdaProcessor:
    arn: str
    retries: int = DEFAULT_RETRIES
    buffer_bytes: int = int(DEFAULT_BUFFER_MB * MIB)
    interval: int = DEFAULT_INTERVAL_SECONDS


@dataclass
class Arrival:
    """A record as Firehose holds it: its bytes, when it arrived (lab time, seconds), its id,
    and for a Kinesis source, where it came from (kinesisRecordMetadata)."""
    data: bytes
    at: float
    record_id: str
    kinesis: dict | None = None


@dataclass
class Outcome:
    """What came of a batch: the records to deliver, the ones dropped, the failed ones with
    their (errorCode, errorMessage)."""
    ok: list[Arrival]
    dropped: list[Arrival]
    failed: list[tuple[Arrival, tuple[str, str]]]


def processor_parameters(processor: dict) -> dict[str, str]:
    return {p.get("ParameterName"): p.get("ParameterValue")
            for p in processor.get("Parameters") or []}


def lambda_processor(destination: dict | None) -> LambdaProcessor | None:
    """The destination's Lambda processor, if its ProcessingConfiguration is enabled."""
    processing = (destination or {}).get("ProcessingConfiguration") or {}
    if not processing.get("Enabled"):
        return None
    for processor in processing.get("Processors") or []:
        if processor.get("Type") == "Lambda":
            found = processor_parameters(processor)
            return LambdaProcessor(
                arn=found["LambdaArn"],
                retries=int(found.get("NumberOfRetries", DEFAULT_RETRIES)),
                buffer_bytes=int(float(found.get("BufferSizeInMBs", DEFAULT_BUFFER_MB)) * MIB),
                interval=int(found.get("BufferIntervalInSeconds", DEFAULT_INTERVAL_SECONDS)))
    return None


def record_id() -> str:
    """An opaque id per record, as long as the ones Firehose gives."""
    return (uuid.uuid4().hex + uuid.uuid4().hex + uuid.uuid4().hex + uuid.uuid4().hex)[:112]


def _millis(seconds: float) -> int:
    return int(round(seconds * 1000))


def event_record(arrival: Arrival) -> dict:
    record = {"data": base64.b64encode(arrival.data).decode(), "recordId": arrival.record_id,
              "approximateArrivalTimestamp": _millis(arrival.at)}
    if arrival.kinesis is not None:
        record["kinesisRecordMetadata"] = arrival.kinesis
    return record


def transformation_event(*, records: list[Arrival], stream_arn: str, region: str,
                         source_arn: str | None) -> dict:
    """The event Firehose invokes the function with."""
    event = {"invocationId": str(uuid.uuid4())}
    if source_arn:
        event["sourceKinesisStreamArn"] = source_arn
    event.update(deliveryStreamArn=stream_arn, region=region,
                 records=[event_record(r) for r in records])
    return event


def batches(records: list[Arrival], limit: int = PAYLOAD_LIMIT) -> list[list[Arrival]]:
    """The records cut into invocations whose event stays under Lambda's synchronous payload
    limit (base64 makes data a third bigger; each record also carries its keys)."""
    out, current, size = [], [], 0
    for record in records:
        cost = len(json.dumps(event_record(record))) + 2
        if current and size + cost > limit - 4096:
            out.append(current)
            current, size = [], 0
        current.append(record)
        size += cost
    if current:
        out.append(current)
    return out


def outcome_of(payload: str | None, records: list[Arrival]) -> Outcome | tuple[str, str]:
    """The records' fates from the function's answer, or the (errorCode, errorMessage) that
    fails the whole batch when the answer breaks the status model."""
    try:
        answer = json.loads(payload or "null")
        returned = answer["records"]
        if not isinstance(returned, list):
            raise TypeError("records is not a list")
        ids = [r["recordId"] for r in returned]
        if any(r["result"] not in RESULTS for r in returned):
            raise ValueError("unknown result")
        data = {r["recordId"]: base64.b64decode(r["data"], validate=True)
                for r in returned if r["result"] == "Ok"}
    except (ValueError, TypeError, KeyError):  # json, base64, missing keys, wrong types
        return JSON_PROCESSING
    if len(set(ids)) != len(ids):
        return DUPLICATED_RECORD_ID
    if set(ids) != {r.record_id for r in records}:
        return MISSING_RECORD_ID
    results = {r["recordId"]: r["result"] for r in returned}
    outcome = Outcome([], [], [])
    for record in records:
        result = results[record.record_id]
        if result == "Ok":
            outcome.ok.append(Arrival(data[record.record_id], record.at, record.record_id,
                                      record.kinesis))
        elif result == "Dropped":
            outcome.dropped.append(record)
        else:
            outcome.failed.append((record, PROCESSING_FAILED))
    return outcome


def failure_document(record: Arrival, error: tuple[str, str], *, attempts: int,
                     ended_at: float, lambda_arn: str) -> bytes:
    """One line of a processing-failed object: the record, raw, and why it failed."""
    document = {"attemptsMade": attempts, "arrivalTimestamp": _millis(record.at),
                "errorCode": error[0], "errorMessage": error[1],
                "attemptEndingTimestamp": _millis(ended_at),
                "rawData": base64.b64encode(record.data).decode(), "lambdaARN": lambda_arn}
    return json.dumps(document, separators=(",", ":")).encode() + b"\n"
