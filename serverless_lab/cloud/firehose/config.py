"""A Firehose delivery stream's S3 destination: what CreateDeliveryStream accepts, and the keys
of the objects it writes.

Sources: the BufferingHints API reference (SizeInMBs 1-128, default 5; IntervalInSeconds
0-900, default 300; give both or neither), "Configure Amazon S3 object name format" and
"Custom prefixes for Amazon S3 objects" in the Amazon Data Firehose developer guide; for a
Lambda processor, the ProcessorParameter API reference and "Transform source data in Amazon
Data Firehose" (transform.py).
"""

import re
from datetime import UTC, datetime

from moto.firehose.exceptions import InvalidArgumentException, ValidationException

from . import transform

NOT_PERMITTED_ON_KINESIS_SOURCE = ("This operation is not permitted on KinesisStreamAsSource "
                                   "delivery stream type.")
BOTH_HINTS = ("BufferingHints: if you specify a value for one of SizeInMBs and "
              "IntervalInSeconds, you must also specify a value for the other.")
OUT_OF_RANGE = ("1 validation error detected: Value '{value}' at '{path}' failed to satisfy "
                "constraint: Member must have value {bound}")
BUCKET_ACCESS = ("Access was denied. Ensure that the trust policy for the provided IAM role "
                 "allows Firehose to assume the role, and the access policy allows access to "
                 "the S3 bucket.")
SOURCE_MISSING = "Kinesis stream {arn} does not exist."
SOURCE_REQUIRED = ("KinesisStreamSourceConfiguration is required for the "
                   "KinesisStreamAsSource delivery stream type.")
ERROR_PREFIX_REQUIRED = "ErrorOutputPrefix can't be null when Prefix contains expressions."
ERROR_TYPE_IN_PREFIX = "Prefix can't contain !{firehose:error-output-type}."
BAD_EXPRESSION = "The expression {expression} in {field} is not valid."
ERROR_TYPE = "!{firehose:error-output-type}"
ERROR_TYPE_REQUIRED = ("ErrorOutputPrefix must contain !{firehose:error-output-type} when it "
                       "contains expressions.")
NOT_EMULATED = "the lab does not emulate {what}; it delivers UNCOMPRESSED or GZIP objects"
DEFAULT_HINTS = {"SizeInMBs": 5, "IntervalInSeconds": 300}
HINT_RANGES = {"SizeInMBs": (1, 128), "IntervalInSeconds": (0, 900)}
EXPRESSION = re.compile(r"!\{(\w+):([^}]*)\}")
# Java DateTimeFormatter letters the lab evaluates, longest first.
JAVA_FIELDS = (("yyyy", "%Y"), ("yy", "%y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"),
               ("mm", "%M"), ("ss", "%S"))
SUPPORTED_PROCESSORS = {"AppendDelimiterToRecord", "Lambda"}
LAMBDA_ARN_REQUIRED = "LambdaArn is required for a processor of type Lambda."
PROCESSOR_PARAMETER_RANGE = ("ProcessorParameter {name} must be between {low} and {high}, "
                             "got {value}.")
PROCESSOR_PARAMETER_RANGES = {"BufferSizeInMBs": transform.BUFFER_MB_RANGE,
                              "BufferIntervalInSeconds": transform.INTERVAL_RANGE,
                              "NumberOfRetries": (0, None)}


def destination_of(stream) -> dict | None:
    """The delivery stream's S3 destination configuration (ExtendedS3 or S3), or None."""
    destination = stream.destinations[0] if stream.destinations else {}
    return destination.get("ExtendedS3") or destination.get("S3")


def checked_config(account_id: str, arguments: dict) -> None:
    """Raise AWS's error for a CreateDeliveryStream the service refuses; otherwise fill in
    the defaults Firehose applies (DescribeDeliveryStream shows them)."""
    for argument, path in (("extended_s3_destination_configuration",
                            "extendedS3DestinationConfiguration"),
                           ("s3_destination_configuration", "s3DestinationConfiguration")):
        if arguments.get(argument):
            _destination_checked(account_id, arguments[argument], path)
    if (arguments.get("delivery_stream_type") or "DirectPut") == "KinesisStreamAsSource":
        source = arguments.get("kinesis_stream_source_configuration") or {}
        if not source.get("KinesisStreamARN"):
            raise InvalidArgumentException(SOURCE_REQUIRED)
        if not _kinesis_stream_exists(account_id, source["KinesisStreamARN"]):
            raise InvalidArgumentException(SOURCE_MISSING.format(arn=source["KinesisStreamARN"]))


def _destination_checked(account_id: str, destination: dict, path: str) -> None:
    hints = destination.get("BufferingHints") or {}
    if len(hints) == 1:
        raise InvalidArgumentException(BOTH_HINTS)
    for name, (low, high) in HINT_RANGES.items():
        value = hints.get(name)
        if value is not None and not low <= int(value) <= high:
            bound = f"greater than or equal to {low}" if int(value) < low \
                else f"less than or equal to {high}"
            field = name[0].lower() + name[1:]
            raise ValidationException(OUT_OF_RANGE.format(
                value=value, path=f"{path}.bufferingHints.{field}", bound=bound))
    compression = destination.get("CompressionFormat") or "UNCOMPRESSED"
    if compression not in ("UNCOMPRESSED", "GZIP"):
        raise InvalidArgumentException(NOT_EMULATED.format(what=f"{compression} compression"))
    processing = destination.get("ProcessingConfiguration") or {}
    if processing.get("Enabled"):
        for processor in processing.get("Processors") or []:
            if processor.get("Type") not in SUPPORTED_PROCESSORS:
                raise InvalidArgumentException(NOT_EMULATED.format(
                    what=f"a {processor.get('Type')} processor"))
            if processor.get("Type") == "Lambda":
                _lambda_processor_checked(processor)
    _prefix_checked(destination)
    if not _bucket_exists(account_id, str(destination.get("BucketARN", ""))):
        raise InvalidArgumentException(BUCKET_ACCESS)
    destination["BufferingHints"] = {**DEFAULT_HINTS, **hints}
    destination["CompressionFormat"] = compression
    destination.setdefault("EncryptionConfiguration", {"NoEncryptionConfig": "NoEncryption"})


def _lambda_processor_checked(processor: dict) -> None:
    parameters = transform.processor_parameters(processor)
    if not parameters.get("LambdaArn"):
        raise InvalidArgumentException(LAMBDA_ARN_REQUIRED)
    for name, (low, high) in PROCESSOR_PARAMETER_RANGES.items():
        if name not in parameters:
            continue
        try:
            value = float(parameters[name])
        except (TypeError, ValueError):
            value = None
        if value is None or value < low or (high is not None and value > high) or (
                name != "BufferSizeInMBs" and value != int(value)):
            raise InvalidArgumentException(PROCESSOR_PARAMETER_RANGE.format(
                name=name, low=low, high=high if high is not None else "any",
                value=parameters[name]))


def _prefix_checked(destination: dict) -> None:
    prefix = destination.get("Prefix") or ""
    if "!{firehose:error-output-type}" in prefix:
        raise InvalidArgumentException(ERROR_TYPE_IN_PREFIX)
    if EXPRESSION.search(prefix) and not destination.get("ErrorOutputPrefix"):
        raise InvalidArgumentException(ERROR_PREFIX_REQUIRED)
    error_prefix = destination.get("ErrorOutputPrefix") or ""
    if EXPRESSION.search(error_prefix) and ERROR_TYPE not in error_prefix:
        raise InvalidArgumentException(ERROR_TYPE_REQUIRED)
    for field, value, allowed in (("Prefix", prefix, {"random-string"}),
                                  ("ErrorOutputPrefix", error_prefix,
                                   {"random-string", "error-output-type"})):
        for match in EXPRESSION.finditer(value):
            if match[1] == "timestamp":
                try:
                    _strftime_format(match[2])
                    continue
                except ValueError:
                    pass
            elif match[1] == "firehose" and match[2] in allowed:
                continue
            raise InvalidArgumentException(BAD_EXPRESSION.format(expression=match[0],
                                                                 field=field))


def _strftime_format(java: str) -> str:
    """A Java DateTimeFormatter pattern (the letters Firehose prefixes use) as strftime's."""
    out, i = [], 0
    while i < len(java):
        if java[i] == "'":
            end = java.find("'", i + 1)
            if end < 0:
                raise ValueError(java)
            out.append(java[i + 1:end].replace("%", "%%") or "'")
            i = end + 1
            continue
        found = next(((j, s) for j, s in JAVA_FIELDS if java.startswith(j, i)), None)
        if found:
            out.append(found[1])
            i += len(found[0])
        elif java[i].isalpha():
            raise ValueError(java)
        else:
            out.append(java[i].replace("%", "%%"))
            i += 1
    return "".join(out)


def evaluated_prefix(prefix: str, moment: datetime, random, *,
                     error_output_type: str | None = None) -> str:
    """Prefix with its expressions evaluated. A prefix without a timestamp expression gets
    `!{timestamp:yyyy/MM/dd/HH/}` appended, as Firehose does (so no Prefix gives
    `YYYY/MM/dd/HH/`); every timestamp is the oldest record's arrival, in UTC. An
    ErrorOutputPrefix (`error_output_type` given) gets nothing appended."""
    prefix = prefix or ""
    if "!{timestamp:" not in prefix and error_output_type is None:
        prefix += "!{timestamp:yyyy/MM/dd/HH/}"

    def evaluate(match) -> str:
        if match[1] == "timestamp":
            return moment.strftime(_strftime_format(match[2]))
        if match[2] == "error-output-type":
            return error_output_type or ""
        return str(random()).replace("-", "")[:11]  # firehose:random-string, 11 characters

    return EXPRESSION.sub(evaluate, prefix)


def error_prefix(destination: dict, moment: datetime, random, error_output_type: str) -> str:
    """Where failed records go: the ErrorOutputPrefix evaluated, or with none,
    `<Prefix><error-output-type>/YYYY/MM/dd/HH/` (so `processing-failed/2018/08/27/10/` for a
    stream with no prefix at all)."""
    if destination.get("ErrorOutputPrefix"):
        return evaluated_prefix(destination["ErrorOutputPrefix"], moment, random,
                                error_output_type=error_output_type)
    return evaluated_prefix(f"{destination.get('Prefix') or ''}{error_output_type}/",
                            moment, random)


def object_key(*, name: str, version: str, prefix: str, at: float, random,
               evaluated: str | None = None) -> str:
    """<evaluated prefix><name>-<version>-YYYY-MM-dd-HH-mm-ss-<uuid>. `evaluated` is a
    prefix already evaluated (an error output prefix)."""
    moment = datetime.fromtimestamp(at, UTC)
    head = evaluated if evaluated is not None else evaluated_prefix(prefix, moment, random)
    return f"{head}{name}-{version}-{moment:%Y-%m-%d-%H-%M-%S}-{random()}"


def records_joined(destination: dict, records: list[bytes]) -> bytes:
    """The object's bytes before compression: the records as they came, with no delimiter
    unless an AppendDelimiterToRecord processor adds one (a newline by default)."""
    processing = destination.get("ProcessingConfiguration") or {}
    for processor in processing.get("Processors") or [] if processing.get("Enabled") else []:
        if processor.get("Type") == "AppendDelimiterToRecord":
            parameters = {p.get("ParameterName"): p.get("ParameterValue")
                          for p in processor.get("Parameters") or []}
            delimiter = (parameters.get("Delimiter") or "\n").encode()
            return b"".join(r + delimiter for r in records)
    return b"".join(records)


def _bucket_exists(account_id: str, bucket_arn: str) -> bool:
    from moto.s3.models import s3_backends

    name = bucket_arn.split(":::", 1)[-1] if bucket_arn.startswith("arn:aws:s3:::") else ""
    backend = dict.get(dict.get(s3_backends, account_id) or {}, "aws")
    return bool(name) and backend is not None and name in backend.buckets


def _kinesis_stream_exists(account_id: str, arn: str) -> bool:
    from moto.kinesis.models import kinesis_backends

    parts = arn.split(":")
    if len(parts) < 6 or parts[2] != "kinesis" or parts[4] != account_id:
        return False
    backend = dict.get(dict.get(kinesis_backends, account_id) or {}, parts[3])
    return backend is not None and arn.rsplit("/", 1)[-1] in backend.streams
