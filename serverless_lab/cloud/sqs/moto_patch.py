"""Where moto's SQS and Lambda meet the lab's pollers
(awslambda/event_source_mapping/sqs_poller.py).

moto delivers SQS messages to a mapped function itself, synchronously inside SendMessage:
`Queue.add_message` walks `queue.lambda_event_source_mappings`, receives and invokes one
message at a time. The lab replaces that with the Lambda service's behaviour by wrapping:
- `LambdaBackend.create_event_source_mapping` (called by the Lambda API and by moto's
  CloudFormation, so SAM's `Events: Type: SQS` too): validate as Lambda does, then take the
  mapping off moto's queue, so add_message has nobody to deliver to, and start its poller;
- `update_event_source_mapping` and `delete_event_source_mapping`: start or stop the poller;
- `Queue.add_message`: wake the pollers of that queue.
These are moto internals: tests/cloud/test_moto_contract.py fails loudly if they change.

Also patched for SQS: `Queue._set_attributes` in sqs/redrive_policy.py (a RedrivePolicy
naming a missing dead-letter queue refused with nothing applied; test_moto_contract.py);
`SQSBackend.send_message` in quotas.py (a sandbox's stored-bytes quota, OverLimit;
tests/cloud/test_quotas.py).
"""

import inspect
import itertools
import threading

from moto.awslambda.exceptions import InvalidParameterValueException
from moto.awslambda.models import LambdaBackend
from moto.sqs.models import Queue, sqs_backends

from serverless_lab.cloud.awslambda.event_source_mapping import filters as event_filters
from serverless_lab.cloud.awslambda.event_source_mapping.sqs_poller import SqsMappings, queue_name

ORIGINALS = {
    "create": LambdaBackend.create_event_source_mapping,
    "update": LambdaBackend.update_event_source_mapping,
    "delete": LambdaBackend.delete_event_source_mapping,
    "add_message": Queue.add_message,
}
EXPECTED_SIGNATURES = {
    "create": "(self, spec: 'dict[str, Any]') -> 'EventSourceMapping'",
    "update": "(self, uuid: 'str', spec: 'dict[str, Any]') -> 'EventSourceMapping | None'",
    "delete": "(self, uuid: 'str') -> 'EventSourceMapping | None'",
    "add_message": "(self, message: moto.sqs.models.Message) -> None",
}
VISIBILITY_TOO_SHORT = ("Queue visibility timeout: {visibility} seconds is less than "
                        "Function timeout: {timeout} seconds")
WINDOW_REQUIRED = ("Maximum batch window in seconds must be greater than 0 if maximum batch "
                   "size is greater than 10")

_sequence = itertools.count(10**19)  # 20 digits, increasing, as SQS's look
_sequence_lock = threading.Lock()
_installed: list[SqsMappings] = []  # the latest lab cloud's pollers get moto's mappings


def _queue(backend: LambdaBackend, arn: str | None):
    if not arn or arn.split(":")[2] != "sqs":
        return None
    queues = sqs_backends[backend.account_id][backend.region_name].queues
    queue = queues.get(queue_name(arn))
    return queue if queue is not None and queue.queue_arn == arn else None


def _validate(backend: LambdaBackend, spec: dict, existing=None) -> None:
    """What CreateEventSourceMapping and UpdateEventSourceMapping refuse for an SQS queue."""
    queue = _queue(backend, spec.get("EventSourceArn") or getattr(existing, "event_source_arn",
                                                                  None))
    if queue is None:
        return
    try:
        event_filters.patterns_parse(spec.get("FilterCriteria"))
    except event_filters.InvalidFilter as e:
        raise InvalidParameterValueException(str(e)) from None
    batch = spec.get("BatchSize", getattr(existing, "batch_size", None)) or 10
    window = spec.get("MaximumBatchingWindowInSeconds",
                      getattr(existing, "max_batch_window", None)) or 0
    if not queue.fifo_queue and int(batch) > 10 and int(window) < 1:
        raise InvalidParameterValueException(WINDOW_REQUIRED)
    name = spec.get("FunctionName") or getattr(existing, "function_arn", None)
    try:
        fn = backend.get_function(name)
    except Exception:  # noqa: BLE001 - moto's own call reports a missing function
        return
    if int(queue.visibility_timeout) < float(fn.timeout):
        raise InvalidParameterValueException(VISIBILITY_TOO_SHORT.format(
            visibility=queue.visibility_timeout, timeout=int(float(fn.timeout))))


def _create(self: LambdaBackend, spec):
    _validate(self, spec)
    esm = ORIGINALS["create"](self, spec)
    queue = _queue(self, esm.event_source_arn)
    if queue is not None:
        # moto's add_message delivers to whatever is here; the poller does it instead.
        queue.lambda_event_source_mappings.pop(esm.function_arn, None)
        if _installed:
            _installed[-1].mapping_changed(esm)
    return esm


def _update(self: LambdaBackend, uuid, spec):
    existing = self.get_event_source_mapping(uuid)
    if existing is not None:
        _validate(self, spec, existing)
    esm = ORIGINALS["update"](self, uuid, spec)
    if esm is not None and spec.get("FunctionName"):
        # The pollers invoke what the mapping names now (an alias stays an alias: moto's
        # FunctionArn is the version it points at).
        esm.function_name = spec["FunctionName"]
    if esm is not None and _installed:
        _installed[-1].mapping_changed(esm)
    return esm


def _delete(self: LambdaBackend, uuid):
    esm = ORIGINALS["delete"](self, uuid)
    if _installed:
        _installed[-1].mapping_deleted(uuid)
    return esm


def _add_message(self: Queue, message) -> None:
    if self.fifo_queue and message.sequence_number is None:
        # SQS numbers every FIFO message; moto only does when a deduplication id is given.
        with _sequence_lock:
            message.sequence_number = str(next(_sequence))
    ORIGINALS["add_message"](self, message)
    if _installed:
        _installed[-1].message_added(self.queue_arn)


def install(mappings: SqsMappings) -> None:
    """Route moto's SQS event source mappings to these pollers (moto's backends are per
    process: the latest lab cloud installed gets them, until it is uninstalled)."""
    _installed.append(mappings)
    LambdaBackend.create_event_source_mapping = _create
    LambdaBackend.update_event_source_mapping = _update
    LambdaBackend.delete_event_source_mapping = _delete
    Queue.add_message = _add_message


def uninstall(mappings: SqsMappings) -> None:
    if mappings in _installed:
        _installed.remove(mappings)


def signatures_match() -> bool:
    return all(str(inspect.signature(ORIGINALS[k])) == v for k, v in EXPECTED_SIGNATURES.items())
