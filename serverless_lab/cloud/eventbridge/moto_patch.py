"""Where the lab changes moto's EventBridge and EventBridge Scheduler.

- `Rule.send_to_targets`: a matched event goes to the lab's EventPlane (plane.py), which
  delivers it asynchronously, with retries and dead-letter queues, to every target type;
- `EventsBackend.put_rule` / `delete_rule`: event patterns and schedule expressions are
  checked as AWS checks them before anything is stored; schedules register with the lab clock;
- `EventBridgeSchedulerBackend.create_schedule` / `update_schedule` / `delete_schedule`:
  the same for Scheduler (expressions and time zones checked).
Guarded by tests/cloud/eventbridge/test_eventbridge.py (and the signature checks in
tests/cloud/test_moto_contract.py).
"""

import inspect

from moto.events.exceptions import InvalidEventPatternException
from moto.events.exceptions import ValidationException as EventsValidation
from moto.events.models import EventsBackend, Rule
from moto.scheduler.exceptions import ValidationException as SchedulerValidation
from moto.scheduler.models import EventBridgeSchedulerBackend

from .patterns import PatternError, pattern_check
from .plane import INVALID_TIMEZONE, EventPlane
from .schedule_expressions import (
    RULE_INVALID,
    SCHEDULER_INVALID,
    InvalidExpression,
    parse,
    time_zone,
)

ORIGINAL = {"put_rule": EventsBackend.put_rule, "delete_rule": EventsBackend.delete_rule,
            "create_schedule": EventBridgeSchedulerBackend.create_schedule,
            "update_schedule": EventBridgeSchedulerBackend.update_schedule,
            "delete_schedule": EventBridgeSchedulerBackend.delete_schedule}



# -- moto hooks ------------------------------------------------------------------------------

# moto's state is process-wide, so the hooks are too. They serve the lab cloud started last
# that is still running: a second one started and stopped in the same process (a benchmark,
# a CLI command) hands them back when it stops.
_planes: list[EventPlane] = []


def _plane() -> EventPlane | None:
    return _planes[-1] if _planes else None


def uninstall(plane: EventPlane) -> None:
    if plane in _planes:
        _planes.remove(plane)


def install(plane: EventPlane) -> None:
    """Route moto's EventBridge and Scheduler through `plane`."""
    _planes.append(plane)
    plane.stop_listeners.append(lambda: uninstall(plane))
    Rule.send_to_targets = _send_to_targets
    EventsBackend.put_rule = _put_rule
    EventsBackend.delete_rule = _delete_rule
    EventBridgeSchedulerBackend.create_schedule = _create_schedule
    EventBridgeSchedulerBackend.update_schedule = _update_schedule
    EventBridgeSchedulerBackend.delete_schedule = _delete_schedule


def _send_to_targets(self: Rule, event, transform_input: bool = True) -> None:
    # moto offers S3's notifications to the rules of every bus; S3 sends to the default one.
    from_s3 = not transform_input and event.get("source") == "aws.s3" \
        and "replay-name" not in event
    if (plane := _plane()) is None or (from_s3 and self.event_bus_name != "default"):
        return
    plane.rule_event(self, event)


def _arguments(original, *args, **kwargs) -> dict:
    bound = inspect.signature(original).bind(*args, **kwargs)
    bound.apply_defaults()
    return bound.arguments


def _put_rule(self, *args, **kwargs):
    arguments = _arguments(ORIGINAL["put_rule"], self, *args, **kwargs)
    if arguments["event_pattern"]:
        try:
            pattern_check(arguments["event_pattern"])
        except PatternError as e:
            raise InvalidEventPatternException(reason=str(e)) from None
    if arguments["scheduled_expression"]:
        try:
            parse(arguments["scheduled_expression"])
        except InvalidExpression:
            raise EventsValidation(RULE_INVALID) from None
    rule = ORIGINAL["put_rule"](self, *args, **kwargs)
    if plane := _plane():
        plane.schedules.rule_put(rule)
    return rule


def _delete_rule(self, name, event_bus_arn):
    ORIGINAL["delete_rule"](self, name, event_bus_arn)
    if plane := _plane():
        plane.schedules.rule_deleted(self.account_id, self.region_name, name)


def _schedule_checked(arguments: dict) -> None:
    expression = arguments["schedule_expression"]
    try:
        parse(expression, scheduler=True)
    except InvalidExpression:
        raise SchedulerValidation(SCHEDULER_INVALID.format(expression=expression)) from None
    try:
        time_zone(arguments["schedule_expression_timezone"])
    except InvalidExpression:
        zone = arguments["schedule_expression_timezone"]
        raise SchedulerValidation(INVALID_TIMEZONE.format(zone=zone)) from None


def _create_schedule(self, *args, **kwargs):
    _schedule_checked(_arguments(ORIGINAL["create_schedule"], self, *args, **kwargs))
    schedule = ORIGINAL["create_schedule"](self, *args, **kwargs)
    if plane := _plane():
        plane.schedules.schedule_put(self.account_id, self.region_name, schedule)
    return schedule


def _update_schedule(self, *args, **kwargs):
    _schedule_checked(_arguments(ORIGINAL["update_schedule"], self, *args, **kwargs))
    schedule = ORIGINAL["update_schedule"](self, *args, **kwargs)
    if plane := _plane():
        plane.schedules.schedule_put(self.account_id, self.region_name, schedule)
    return schedule


def _delete_schedule(self, group_name, name):
    ORIGINAL["delete_schedule"](self, group_name, name)
    if plane := _plane():
        plane.schedules.schedule_deleted(self.account_id, self.region_name,
                                         f"{group_name or 'default'}/{name}")
