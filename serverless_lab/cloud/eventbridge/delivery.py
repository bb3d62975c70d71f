"""What EventBridge does when it cannot deliver an event to a target, as AWS documents it.

- A failure is either retried or not. Throttling and the target service's own faults (HTTP 429
  and 5xx) are retried with exponential backoff and jitter, up to the target's RetryPolicy:
  MaximumRetryAttempts (0-185, default 185) and MaximumEventAgeInSeconds (60-86,400, default
  86,400, 24 hours), whichever runs out first. A missing permission, a target that no longer
  exists, or input the target refuses is not retried: the event goes straight to the
  dead-letter queue.
- After that, the event goes to the target's DeadLetterConfig queue (a standard SQS queue in
  the same account and Region), with AWS's message attributes; without one it is dropped.
  A rule's DLQ needs a queue policy that lets events.amazonaws.com send to it; a schedule's DLQ
  is reached with the schedule's execution role, which the lab does not evaluate.
- Lambda, SQS and SNS targets of a rule are reached through their resource-based policies: a
  function's must allow events.amazonaws.com to call lambda:InvokeFunction, a queue's
  sqs:SendMessage and a topic's sns:Publish, under any SourceArn/SourceAccount condition.

AWS publishes no exact backoff schedule; the lab waits 1 s before the first retry and doubles
it up to 8 minutes (with jitter), so 185 retries take most of a day. That runs on lab time:
every delay is multiplied by LAB_ASYNC_DELAY_SCALE (default 1/60, a minute becomes a second,
as for Lambda's asynchronous retries). An event's age is the larger of that scaled time and
the sandbox clock's time since its first attempt, so advancing the clock (`lab clock --advance
25h`) makes a pending retry due at once, and the event then stops at MaximumEventAgeInSeconds
(after fewer attempts than a real day would have made).
"""

import fnmatch
import heapq
import itertools
import json
import os
import random
import threading
import time
from dataclasses import dataclass, field

DEFAULT_MAX_RETRIES = 185
DEFAULT_MAX_EVENT_AGE_SECONDS = 86400
FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_DELAY_SECONDS = 480.0
DEFAULT_DELAY_SCALE = 1 / 60
EVENTS_PRINCIPAL = "events.amazonaws.com"
RETRYABLE = {"THROTTLING", "INTERNAL_ERROR", "TIMEOUT", "CONNECTION_FAILURE"}
NO_PERMISSIONS = ("EventBridge is not allowed to call {action} on {arn}: its resource-based "
                  "policy has no statement that lets {principal} in for {source}")
NO_RESOURCE = "{arn} does not exist"
DLQ_NOT_SQS = "the dead-letter queue must be an SQS queue, got {arn}"
DLQ_FIFO = "a FIFO queue cannot be a dead-letter queue: {arn}"
DLQ_ELSEWHERE = "the dead-letter queue must be in the rule's account and Region: {arn}"


class DeliveryFailure(Exception):
    """One failed attempt, with the code AWS puts in the DLQ message's ERROR_CODE."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def retryable(self) -> bool:
        return self.code in RETRYABLE


def failure_from(error: Exception) -> DeliveryFailure:
    """The failure an exception from a target's API stands for, classified as AWS does: a
    throttle or a server fault (429, 5xx) is retried, anything else is not."""
    if isinstance(error, DeliveryFailure):
        return error
    name = type(error).__name__
    message = getattr(error, "message", None) or str(error) or name
    status = getattr(error, "code", None)
    if status == 429 or "Throttl" in name or "TooManyRequests" in name:
        return DeliveryFailure("THROTTLING", message)
    if isinstance(status, int) and status >= 500:
        return DeliveryFailure("INTERNAL_ERROR", message)
    if any(part in name for part in ("NotFound", "DoesNotExist", "NonExistent", "Unknown")):
        return DeliveryFailure("NO_RESOURCE", message)
    if "AccessDenied" in name or "Authorization" in name:
        return DeliveryFailure("NO_PERMISSIONS", message)
    if isinstance(status, int) and 400 <= status < 500:
        return DeliveryFailure("INVALID_PARAMETER", message)
    return DeliveryFailure("INTERNAL_ERROR" if status else "UNKNOWN", f"{name}: {message}")


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = DEFAULT_MAX_RETRIES
    max_age_seconds: int = DEFAULT_MAX_EVENT_AGE_SECONDS

    @classmethod
    def of(cls, target: dict) -> "RetryPolicy":
        given = target.get("RetryPolicy") or {}
        return cls(int(given.get("MaximumRetryAttempts", DEFAULT_MAX_RETRIES)),
                   int(given.get("MaximumEventAgeInSeconds", DEFAULT_MAX_EVENT_AGE_SECONDS)))


def retry_delay(retry: int) -> float:
    """Seconds (AWS time) before retry number `retry` (1 for the first): exponential, capped,
    with equal jitter."""
    ceiling = min(MAX_RETRY_DELAY_SECONDS, FIRST_RETRY_SECONDS * 2 ** (retry - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


# -- resource-based policies ------------------------------------------------------------------

def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _principal_matches(principal, service: str) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    return service in _as_list(principal.get("Service", [])) or "*" in _as_list(
        principal.get("AWS", []))


def _like(pattern: str, value: str, *, case: bool = True) -> bool:
    if not case:
        pattern, value = pattern.lower(), value.lower()
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


def _condition_holds(operator: str, tests: dict, context: dict) -> bool:
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    compare = {"StringEquals": lambda p, v: p == v, "ArnEquals": lambda p, v: p == v,
               "StringEqualsIgnoreCase": lambda p, v: p.lower() == v.lower(),
               "StringLike": _like, "ArnLike": _like}.get(base)
    if compare is None:
        return False  # an operator the lab does not evaluate grants nothing
    for key, wanted in tests.items():
        value = context.get(key.lower())
        if value is None:
            if not if_exists:
                return False
            continue
        if not any(compare(str(p), value) for p in _as_list(wanted)):
            return False
    return True


def _statement_applies(statement: dict, *, service: str, action: str, resources: list[str],
                       context: dict) -> bool:
    if not _principal_matches(statement.get("Principal"), service):
        return False
    if not any(_like(str(a), action, case=False) for a in _as_list(statement.get("Action", []))):
        return False
    wanted = _as_list(statement.get("Resource", "*"))
    if not any(_like(str(r), resource) for r in wanted for resource in resources):
        return False
    return all(_condition_holds(op, tests, context)
               for op, tests in (statement.get("Condition") or {}).items())


def policy_allows(policy, *, action: str, resources: list[str], source_arn: str,
                  source_account: str, service: str = EVENTS_PRINCIPAL) -> bool:
    """Whether a resource-based policy lets `service` call `action` on the resource (any of
    `resources`, its ARNs) for a request from `source_arn`: an Allow and no Deny."""
    if isinstance(policy, str):
        policy = json.loads(policy) if policy.strip() else {}
    statements = _as_list((policy or {}).get("Statement", []))
    context = {"aws:sourcearn": source_arn, "aws:sourceaccount": source_account}
    applying = [s for s in statements if _statement_applies(
        s, service=service, action=action, resources=resources, context=context)]
    if any(s.get("Effect") == "Deny" for s in applying):
        return False
    return any(s.get("Effect") == "Allow" for s in applying)


def not_permitted(action: str, arn: str, source_arn: str) -> DeliveryFailure:
    return DeliveryFailure("NO_PERMISSIONS", NO_PERMISSIONS.format(
        action=action, arn=arn, principal=EVENTS_PRINCIPAL, source=source_arn))


# -- one delivery and its dead letter -------------------------------------------------------

class Delivery:
    """One event on its way to one target, across its attempts."""

    def __init__(self, account_id, region, target, payload, fields, event, *, rule_arn=None,
                 schedule=None):
        self.account_id, self.region, self.target = account_id, region, target
        self.payload, self.fields, self.event = payload, fields, event
        self.rule_arn, self.schedule = rule_arn, schedule
        self.attempt = 1
        self.started: tuple[float, float] | None = None  # (monotonic, sandbox clock)

    def dead_letter_attributes(self, failure: DeliveryFailure, condition: str | None) -> dict:
        """The SQS message attributes AWS documents for a rule's (or a schedule's) DLQ."""
        values = {"ERROR_CODE": failure.code, "ERROR_MESSAGE": failure.message[:1000],
                  **({"EXHAUSTED_RETRY_CONDITION": condition} if condition else {}),
                  "RETRY_ATTEMPTS": str(self.attempt - 1), "TARGET_ARN": self.target["Arn"]}
        if self.schedule:
            values.update(EXECUTION_ID=self.schedule["execution_id"],
                          IS_PAYLOAD_TRUNCATED="false",
                          SCHEDULED_TIME=self.schedule["scheduled_time"],
                          SCHEDULE_ARN=self.schedule["arn"])
        else:
            values["RULE_ARN"] = self.rule_arn or ""
        return {name: {"DataType": "String", "StringValue": value}
                for name, value in sorted(values.items())}


def dead_letter_send(account_id, region, dlq, body, attributes, *, rule_arn) -> str:
    """Send to a DLQ, refused as AWS would refuse it: not SQS, FIFO, elsewhere, gone, or (for a
    rule) a queue policy that does not let EventBridge send."""
    from moto.sqs.models import sqs_backends

    parts = dlq.split(":")
    if len(parts) != 6 or parts[2] != "sqs":
        raise DeliveryFailure("INVALID_PARAMETER", DLQ_NOT_SQS.format(arn=dlq))
    if (parts[3], parts[4]) != (region, account_id):
        raise DeliveryFailure("INVALID_PARAMETER", DLQ_ELSEWHERE.format(arn=dlq))
    if parts[5].endswith(".fifo"):
        raise DeliveryFailure("INVALID_PARAMETER", DLQ_FIFO.format(arn=dlq))
    if rule_arn:
        _sqs_allows(account_id, region, dlq, parts[5], rule_arn)
    backend = sqs_backends[account_id][region]
    return backend.send_message(queue_name=parts[5], message_body=body,
                                message_attributes=attributes).id


# -- the resource-based policies a rule's targets must grant EventBridge ----------------------

def _lambda_allows(account_id, region, arn, resource, rule_arn) -> None:
    from moto.awslambda.models import lambda_backends

    try:
        fn = lambda_backends[account_id][region].get_function(arn)
    except Exception:  # noqa: BLE001 - whatever moto raises, the function is not there
        raise DeliveryFailure("NO_RESOURCE", NO_RESOURCE.format(arn=arn)) from None
    # A statement names the function (or the version or alias the target names).
    if not policy_allows({"Statement": fn.policy.statements}, action="lambda:InvokeFunction",
                         resources=[arn, fn.function_arn], source_arn=rule_arn,
                         source_account=account_id):
        raise not_permitted("lambda:InvokeFunction", arn, rule_arn)


def _sqs_allows(account_id, region, arn, resource, rule_arn) -> None:
    from moto.sqs.models import sqs_backends

    queue = sqs_backends[account_id][region].queues.get(resource)
    _policy_check(queue, "sqs:SendMessage", arn, rule_arn, account_id)


def _sns_allows(account_id, region, arn, resource, rule_arn) -> None:
    from moto.sns.models import sns_backends

    topic = sns_backends[account_id][region].topics.get(arn)
    _policy_check(topic, "sns:Publish", arn, rule_arn, account_id)


def _policy_check(found, action: str, arn: str, rule_arn: str, account_id: str) -> None:
    """A queue's or topic's policy must let EventBridge in (it must exist, first)."""
    if found is None:
        raise DeliveryFailure("NO_RESOURCE", NO_RESOURCE.format(arn=arn))
    if not policy_allows(found.policy, action=action, resources=[arn], source_arn=rule_arn,
                         source_account=account_id):
        raise not_permitted(action, arn, rule_arn)


PERMISSION_CHECKS = {"lambda": _lambda_allows, "sqs": _sqs_allows, "sns": _sns_allows}


# -- the retry queue --------------------------------------------------------------------------

@dataclass(order=True)
class PendingRetry:
    due: float  # monotonic time at which lab time reaches `due_age`
    order: int
    account_id: str = field(compare=False)
    due_age: float = field(compare=False)  # the event's age (AWS seconds) when it retries
    run: object = field(compare=False)  # () -> None, called on the plane's executor


class RetryQueue:
    """Deliveries waiting for their next attempt. An event's age runs on lab time: real time
    multiplied by 1/`delay_scale`, or the sandbox's clock when it was advanced further."""

    def __init__(self, *, clock, delay_scale: float | None = None):
        self.clock = clock
        self.delay_scale = delay_scale if delay_scale is not None else float(
            os.environ.get("LAB_ASYNC_DELAY_SCALE", DEFAULT_DELAY_SCALE))
        self._pending: list[PendingRetry] = []
        self._order = itertools.count()
        self._changed = threading.Condition()
        self._stopped = False
        self._submit = None
        clock.move_listeners.append(self._clock_moved)

    def start(self, submit) -> None:
        """`submit(fn)` runs fn on the plane's executor."""
        self._submit = submit
        threading.Thread(target=self._work, name="lab-events-retry", daemon=True).start()

    def age(self, started: tuple[float, float], account_id: str) -> float:
        """The event's age in AWS seconds; `started` is (monotonic, sandbox clock) at its
        first attempt."""
        real = (time.monotonic() - started[0]) / self.delay_scale
        return max(real, self.clock.now(account_id) - started[1])

    def push(self, *, account_id: str, started: tuple[float, float], due_age: float,
             run) -> None:
        wait = max(0.0, due_age - self.age(started, account_id)) * self.delay_scale
        with self._changed:
            heapq.heappush(self._pending, PendingRetry(time.monotonic() + wait,
                                                       next(self._order), account_id,
                                                       due_age, (started, run)))
            self._changed.notify()

    def forget(self, account_id: str) -> list:
        """Drop an account's pending retries (its sandbox was reset); what they would run."""
        with self._changed:
            dropped = [p for p in self._pending if p.account_id == account_id]
            self._pending = [p for p in self._pending if p.account_id != account_id]
            heapq.heapify(self._pending)
        return dropped

    def stop(self) -> None:
        with self._changed:
            self._stopped = True
            self._changed.notify_all()
        if self._clock_moved in self.clock.move_listeners:
            self.clock.move_listeners.remove(self._clock_moved)

    def _clock_moved(self, account_id: str) -> None:
        with self._changed:
            for pending in self._pending:
                started, _ = pending.run
                if pending.account_id == account_id and self.age(
                        started, account_id) >= pending.due_age:
                    pending.due = 0.0
            heapq.heapify(self._pending)
            self._changed.notify()

    def _work(self) -> None:
        while True:
            with self._changed:
                while not self._stopped and not (
                        self._pending and self._pending[0].due <= time.monotonic()):
                    timeout = self._pending[0].due - time.monotonic() if self._pending else None
                    self._changed.wait(timeout)
                if self._stopped:
                    return
                pending = heapq.heappop(self._pending)
            _, run = pending.run
            self._submit(run)
