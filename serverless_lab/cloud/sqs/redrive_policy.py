"""A queue's RedrivePolicy checked as SQS checks it: before anything changes.

moto applies a CreateQueue's or SetQueueAttributes' other attributes, and keeps the redrive
policy, before it looks for the dead-letter queue; when that queue does not exist it answers
`AWS.SimpleQueueService.NonExistentQueue` "Could not find DLQ for ...", and the queue is left
half-changed, pointing at nothing. SQS refuses the whole call with `InvalidParameterValue`,
"Value <policy> for parameter RedrivePolicy is invalid. Reason: Dead letter target does not
exist.", and changes nothing. The lab checks first (contract-tested: `Queue._set_attributes`).
"""

import functools
import json

from moto.sqs.exceptions import SQSException
from moto.sqs.models import Queue, sqs_backends

ORIGINAL_SET_ATTRIBUTES = Queue._set_attributes
NO_TARGET = ("Value {policy} for parameter RedrivePolicy is invalid. Reason: Dead letter target "
             "does not exist.")


def _target_arn(policy) -> str | None:
    if isinstance(policy, str):
        try:
            policy = json.loads(policy) if policy else {}
        except ValueError:
            return None  # moto's own check words this error
    return policy.get("deadLetterTargetArn") if isinstance(policy, dict) else None


def _queue_exists(account_id: str, region: str, arn: str) -> bool:
    regions = dict.get(sqs_backends, account_id)
    backend = dict.get(regions, region) if regions is not None else None
    return backend is not None and any(q.queue_arn == arn for q in backend.queues.values())


@functools.wraps(ORIGINAL_SET_ATTRIBUTES)
def set_attributes(self, attributes, now=None):
    policy = (attributes or {}).get("RedrivePolicy")
    target = _target_arn(policy) if policy is not None else None
    if target and not _queue_exists(self.account_id, self.region, target):
        shown = policy if isinstance(policy, str) else json.dumps(policy, separators=(",", ":"))
        raise SQSException("InvalidParameterValue", NO_TARGET.format(policy=shown))
    return ORIGINAL_SET_ATTRIBUTES(self, attributes, now)


def install() -> None:
    """For the whole process: SQS validates this way everywhere."""
    Queue._set_attributes = set_attributes
