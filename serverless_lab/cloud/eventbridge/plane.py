"""EventBridge in the learner's account: rules matched and delivered as AWS does it.

moto stores buses, rules and targets and calls `Rule.send_to_targets` for each event put on a
bus (PutEvents, S3's EventBridge notifications), but it delivers synchronously, only to a few
target types (Lambda and SNS raise NotImplementedError), lets a rule without a pattern match
everything, and never fires schedules. The lab replaces that one method and wraps the API
calls that create rules and schedules:

- PutRule checks the event pattern and schedule expression as AWS does (the same error and
  message, and nothing changes in the sandbox) and registers schedules with the lab clock;
- a matched event is delivered asynchronously, after PutEvents has answered, to Lambda (an
  asynchronous invocation with the event document as AWS sends it), SQS, SNS, Step Functions
  (StartExecution), another bus, a log group or an API destination (an HTTP endpoint,
  api_destinations.py), shaped by the target's Input, InputPath or
  InputTransformer; each delivery is a `delivery` hop in the trace, and the sandbox is not
  quiet while one is in flight;
- a delivery that fails is retried or dead-lettered as AWS does it (delivery.py): the
  target's RetryPolicy and DeadLetterConfig, and for a rule's Lambda, SQS and SNS targets the
  resource-based policy that must let EventBridge in.

A target in another account is refused: a sandbox can only reach itself.
"""

import json
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor

from moto.core.config import default_user_config
from moto.events.models import Rule

from serverless_lab.cloud import trace

from . import target_input as event_input
from .api_destinations import api_destination_send
from .delivery import (
    PERMISSION_CHECKS,
    Delivery,
    DeliveryFailure,
    RetryPolicy,
    RetryQueue,
    dead_letter_send,
    failure_from,
    retry_delay,
)
from .patterns import pattern_load, pattern_matches
from .schedule_expressions import (
    iso,
)
from .schedules import Schedules

EVENTS_SOURCE = "aws:events"
SCHEDULER_SOURCE = "aws:scheduler"
EVENT_KEYS = ("version", "id", "detail-type", "source", "account", "time", "region",
              "resources", "detail", "replay-name")
INVALID_TIMEZONE = "Invalid ScheduleExpressionTimezone {zone}."
OTHER_ACCOUNT = "target {arn} is in another account; a sandbox can only deliver to itself"
NOT_MODELLED = "the lab does not deliver to {service} targets"
SFN_NOT_RUN = ("Step Functions executions do not run in the lab yet: EventBridge's "
               "StartExecution call was made and the execution stays RUNNING")
class EventPlane:
    """Delivers events to targets and owns the sandboxes' schedules."""

    def __init__(self, *, recorder: trace.Recorder, invoke_async, clock,
                 delay_scale: float | None = None):
        self.recorder = recorder
        # (moto LambdaFunction, event JSON) -> request id: Lambda's asynchronous invocation,
        # whose queue, retries and destinations are the runtime's (awslambda/async_invoke.py).
        self.invoke_async = invoke_async
        self.clock = clock
        self.executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="lab-events")
        self.schedules = Schedules(plane=self, clock=clock)
        clock.on_tick = self.schedules.tick
        # Failed deliveries waiting for their next attempt, on lab time.
        self.retries = RetryQueue(clock=clock, delay_scale=delay_scale)
        self.retries.start(self._run_later)
        self.stop_listeners: list = []

    def stop(self) -> None:
        for listener in self.stop_listeners:  # moto_patch hands moto's hooks back
            listener()
        self.retries.stop()
        self.executor.shutdown(wait=False, cancel_futures=True)

    def forget(self, account_id: str) -> None:
        for _ in self.retries.forget(account_id):
            self.recorder.end(account_id)  # a reset sandbox drops the retries it had pending
        self.schedules.forget(account_id)
        self.clock.forget(account_id)

    def rule_event(self, rule: Rule, raw_event: dict) -> list[Future]:
        """An event put on the rule's bus: delivered to its targets if the rule matches."""
        pattern = rule.event_pattern.dump()
        if not rule.state.startswith("ENABLED") or not pattern:
            return []  # a scheduled rule matches no event
        event = event_document(raw_event)
        if not pattern_matches(pattern_load(pattern), event):
            return []
        return self.rule_deliver(rule, event)

    def rule_deliver(self, rule: Rule, event: dict, *, scheduled_time: str | None = None):
        fields = {"source": EVENTS_SOURCE, "rule": rule.name, "event_bus": rule.event_bus_name}
        if scheduled_time:
            fields["scheduled_time"] = scheduled_time
        futures = []
        for target in list(rule.targets):
            payload = event_input.target_input(target, event, rule_arn=rule.arn,
                                               rule_name=rule.name, ingestion_time=iso(time.time()))
            futures.append(self.submit(rule.account_id, rule.region_name, target, payload,
                                       fields, event=event, rule_arn=rule.arn))
        return futures

    def submit(self, account_id: str, region: str, target: dict, payload: str, fields: dict,
               *, event: dict | None = None, rule_arn: str | None = None,
               schedule: dict | None = None) -> Future:
        """Deliver asynchronously; the account is busy until the delivery is done (delivered,
        dead-lettered or dropped, after any retries). The future is done after the first
        attempt. `rule_arn` for a rule's delivery; `schedule` (arn, scheduled_time,
        execution_id) for a Scheduler schedule's."""
        self.recorder.begin(account_id)
        delivery = Delivery(account_id, region, target, payload, fields, event,
                            rule_arn=rule_arn, schedule=schedule)
        try:
            return self.executor.submit(self._attempt, delivery)
        except RuntimeError:  # stopped: the lab cloud is shutting down
            self.recorder.end(account_id)
            done = Future()
            done.set_result(None)
            return done

    def _run_later(self, attempt) -> None:
        try:
            self.executor.submit(attempt)
        except RuntimeError:  # stopped
            pass

    def _attempt(self, delivery: Delivery) -> None:
        finished = True
        try:
            finished = self._send(delivery)
        finally:
            if finished:
                self.recorder.end(delivery.account_id)

    def _send(self, delivery: Delivery) -> bool:
        """One attempt; False when a retry was scheduled (the delivery is not over)."""
        account_id, region, target = delivery.account_id, delivery.region, delivery.target
        payload, event = delivery.payload, delivery.event
        arn = target["Arn"]
        parts = arn.split(":", 5)
        service, target_account = parts[2], parts[4] if len(parts) > 4 else ""
        resource = parts[5] if len(parts) > 5 else ""
        if service == "events" and not resource.strip(":"):  # an archive's rule, not a target
            _to_archive(account_id, region, payload, event)
            return True
        if delivery.started is None:
            delivery.started = (time.monotonic(), self.clock.now(account_id))
        record = self.recorder.record(
            account_id, trace.DELIVERY, **delivery.fields,
            target=_target_name(service, resource), target_arn=arn,
            mode="async" if delivery.attempt == 1 else "retry", batch_size=1,
            **({"attempt": delivery.attempt} if delivery.attempt > 1 else {}),
            event=_json_or_text(payload), error=None)
        if target_account != account_id:
            record["error"] = OTHER_ACCOUNT.format(arn=arn)
            return True
        sender = SENDERS.get(service)
        if sender is None:
            record["error"] = f"DeliveryError: {NOT_MODELLED.format(service=service)}"
            return True
        try:
            if delivery.rule_arn and (check := PERMISSION_CHECKS.get(service)):
                check(account_id, region, arn, resource, delivery.rule_arn)
            record.update(sender(self, account_id, region, arn, resource, target, payload,
                                 event))
            return True
        except Exception as e:  # noqa: BLE001 - a failed invocation: retried or dead-lettered
            failure = failure_from(e)
        record.update(error=f"{failure.code}: {failure.message}", error_code=failure.code,
                      retryable=failure.retryable)
        return not self._retry(delivery, failure, record)

    def _retry(self, delivery: Delivery, failure: DeliveryFailure, record: dict) -> bool:
        """Schedule the next attempt if the failure is retried and the policy allows; else
        dead-letter the event. True when a retry was scheduled."""
        policy = RetryPolicy.of(delivery.target)
        condition = None
        if failure.retryable:
            retries_made = delivery.attempt - 1
            delay = retry_delay(retries_made + 1)
            due_age = self.retries.age(delivery.started, delivery.account_id) + delay
            if retries_made >= policy.max_retries:
                condition = "MaximumRetryAttempts"
            elif due_age > policy.max_age_seconds:
                condition = "MaximumEventAgeInSeconds"
            else:
                record.update(retry_after_s=round(delay, 3),
                              lab_retry_after_s=round(delay * self.retries.delay_scale, 4))
                delivery.attempt += 1
                self.retries.push(account_id=delivery.account_id, started=delivery.started,
                                  due_age=due_age,
                                  run=lambda: self._attempt(delivery))
                return True
        self._dead_letter(delivery, failure, condition)
        return False

    def _dead_letter(self, delivery: Delivery, failure: DeliveryFailure,
                     condition: str | None) -> None:
        """The event goes to the target's DLQ with AWS's attributes, or is dropped."""
        account_id, region = delivery.account_id, delivery.region
        dlq = (delivery.target.get("DeadLetterConfig") or {}).get("Arn")
        fields = {**delivery.fields, "target_arn": delivery.target["Arn"],
                  "error": f"{failure.code}: {failure.message}", "error_code": failure.code,
                  "retry_attempts": delivery.attempt - 1,
                  **({"exhausted_retry_condition": condition} if condition else {})}
        if not dlq:  # AWS drops the event; the lab says so
            parts = delivery.target["Arn"].split(":", 5)
            self.recorder.record(
                account_id, trace.DELIVERY, **fields, mode="dropped", batch_size=1,
                target=_target_name(parts[2], parts[5] if len(parts) > 5 else ""),
                event=delivery.event or _json_or_text(delivery.payload))
            return
        attributes = delivery.dead_letter_attributes(failure, condition)
        body = delivery.payload if delivery.schedule else json.dumps(delivery.event)
        record = self.recorder.record(
            account_id, trace.DELIVERY, **fields, mode="dead-letter",
            target=dlq.rsplit(":", 1)[-1], dead_letter_arn=dlq, batch_size=1,
            attributes=attributes, event=_json_or_text(body), dead_letter_error=None)
        try:
            record["message_id"] = dead_letter_send(account_id, region, dlq, body, attributes,
                                                     rule_arn=delivery.rule_arn)
        except Exception as e:  # noqa: BLE001 - InvocationsFailedToBeSentToDLQ: the event is lost
            unusable = failure_from(e)
            record["dead_letter_error"] = f"{unusable.code}: {unusable.message}"


class DeliveryError(DeliveryFailure):
    """A target the lab could not deliver to, for a reason of its own."""

    def __init__(self, message: str, code: str = "INVALID_PARAMETER"):
        super().__init__(code, message)


def _to_lambda(plane, account_id, region, arn, resource, target, payload, event):
    from moto.awslambda.models import lambda_backends

    try:
        json.loads(payload)
    except json.JSONDecodeError:
        raise DeliveryError("InvalidRequestContentException: Could not parse request body "
                            "into json", code="INVALID_JSON") from None
    from serverless_lab.cloud.awslambda.invoke_api import qualified_arn

    fn = lambda_backends[account_id][region].get_function(arn)  # an alias: its version
    return {"request_id": plane.invoke_async(fn, payload,
                                             qualified_arn=qualified_arn(fn, arn))}


def _to_sqs(plane, account_id, region, arn, resource, target, payload, event):
    from moto.sqs.models import sqs_backends

    group = (target.get("SqsParameters") or {}).get("MessageGroupId")
    message = sqs_backends[account_id][region].send_message(
        queue_name=resource, message_body=payload, group_id=group)
    return {"message_id": message.id}


def _to_sns(plane, account_id, region, arn, resource, target, payload, event):
    from moto.sns.models import sns_backends

    message_id = sns_backends[account_id][region].publish(message=payload, arn=arn)
    return {"message_id": message_id}


def _to_step_functions(plane, account_id, region, arn, resource, target, payload, event):
    from moto.stepfunctions.responses import get_backend

    execution = get_backend(account_id, region).start_execution(arn, None, payload)
    runs = default_user_config.get("stepfunctions", {}).get("execute_state_machine", False)
    execution_arn = getattr(execution, "execution_arn", None) or getattr(execution, "exec_arn",
                                                                         None)
    return {"execution_arn": execution_arn, **({} if runs else {"note": SFN_NOT_RUN})}


def _to_archive(account_id, region, payload, event) -> None:
    from moto.events.models import events_backends

    name, _, uid = json.loads(payload)["archive-arn"].split(":archive/", 1)[1].rpartition(":")
    archive = events_backends[account_id][region].archives.get(name)
    if archive is not None and archive.uuid == uid:
        archive.events.append(event)


def _to_bus(plane, account_id, region, arn, resource, target, payload, event):
    from moto.events.models import events_backends

    if resource.startswith("api-destination/"):
        return api_destination_send(account_id=account_id, region=region, arn=arn,
                                    target=target, payload=payload)
    if not resource.startswith("event-bus/"):
        raise DeliveryError(NOT_MODELLED.format(service=f"EventBridge {resource.split('/')[0]}"))

    parameters = target.get("EventBridgeParameters") or {}  # Scheduler's templated target
    detail = (event or {}).get("detail") if event and not parameters else json.loads(payload)
    entry = {"Source": parameters.get("Source") or (event or {}).get("source", ""),
             "DetailType": parameters.get("DetailType") or (event or {}).get("detail-type", ""),
             "Detail": json.dumps(detail), "Resources": (event or {}).get("resources", []),
             "EventBusName": arn}
    [result] = events_backends[account_id][region].put_events([entry])
    if "ErrorCode" in result:
        raise DeliveryError(f"{result['ErrorCode']}: {result['ErrorMessage']}")
    return {"event_id": result["EventId"]}


def _to_log_group(plane, account_id, region, arn, resource, target, payload, event):
    from moto.logs.models import logs_backends

    group = resource.split(":")[1]
    logs = logs_backends[account_id][region]
    stream = str(uuid.uuid4())
    logs.create_log_stream(group, stream)
    logs.put_log_events(group, stream, [{"timestamp": int(time.time() * 1000),
                                         "message": payload}])
    return {"log_stream": stream}


SENDERS = {"lambda": _to_lambda, "sqs": _to_sqs, "sns": _to_sns, "states": _to_step_functions,
           "events": _to_bus, "logs": _to_log_group}


def _target_name(service: str, resource: str) -> str:
    if service in ("lambda", "states", "logs"):
        return resource.split(":")[1] if ":" in resource else resource
    if resource.startswith("api-destination/"):  # api-destination/NAME/UUID
        return resource.split("/")[1]
    return resource.rsplit("/", 1)[-1]


def _json_or_text(payload: str):
    try:
        return json.loads(payload)
    except json.JSONDecodeError:
        return payload


def event_document(raw: dict) -> dict:
    """The event as EventBridge hands it to targets, in AWS's key order, `time` in ISO 8601."""
    event = {key: raw[key] for key in EVENT_KEYS if key in raw}
    if isinstance(event.get("time"), (int, float)):
        event["time"] = iso(event["time"])
    event.setdefault("resources", [])
    return event
