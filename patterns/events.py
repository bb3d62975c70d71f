"""Invoke with your own event: each function of a pattern with AWS's sample event for its
trigger (content/sample_events/, as `sam local generate-event` makes them), and a run that
invokes one function with the event the learner wrote, traced like a scenario."""

import json
from dataclasses import dataclass

from serverless_lab.cloud.client import LabClient
from serverless_lab.cloud.deploy.sam import template_read

from .catalog import Pattern, Scenario, Step
from .importer import SAMPLE_EVENT_OF, SAMPLE_EVENTS_DIR
from .run_trace import RunTrace
from .runs import run_scenario

FUNCTION_TYPES = {"AWS::Serverless::Function", "AWS::Lambda::Function"}
NOT_JSON = "The event is not JSON: {message} (line {line}, column {column})."
NOT_AN_OBJECT = "The event must be a JSON object ({...}), as Lambda passes it to the handler."
UNKNOWN_FUNCTION = "This pattern has no function {function!r}."
MAX_EVENT_BYTES = 256 * 1024  # Lambda's asynchronous payload limit; enough for any sample


class EventError(ValueError):
    """The learner's event cannot be sent; the message says why, for the page."""


@dataclass(frozen=True)
class FunctionEvent:
    function: str  # the function's logical id
    trigger: str | None  # its first Events entry's Type (S3, SQS, Api...), None if none
    sample: str  # the sample event, pretty-printed JSON


def function_events(*, pattern: Pattern) -> list[FunctionEvent]:
    """Each function of the pattern, in template order, with its trigger's sample event
    (`{}` where the trigger has none, or the function has no trigger)."""
    found = []
    for logical_id, resource in template_read(pattern.folder)["Resources"].items():
        if resource.get("Type") not in FUNCTION_TYPES:
            continue
        events = (resource.get("Properties") or {}).get("Events") or {}
        trigger = next((e.get("Type") for e in events.values() if isinstance(e, dict)), None)
        found.append(FunctionEvent(function=logical_id, trigger=trigger,
                                   sample=json.dumps(_sample(trigger), indent=2)))
    return found


def _sample(trigger: str | None) -> dict:
    name = SAMPLE_EVENT_OF.get(trigger or "")
    path = SAMPLE_EVENTS_DIR / f"{name}.json"
    if name is None or not path.is_file():
        return {}
    return json.loads(path.read_text())


def event_parse(text: str) -> dict:
    """The learner's event as Lambda would get it, or EventError saying what is wrong."""
    if len(text.encode()) > MAX_EVENT_BYTES:
        raise EventError(f"The event is larger than {MAX_EVENT_BYTES // 1024} KB.")
    try:
        event = json.loads(text)
    except json.JSONDecodeError as e:
        raise EventError(NOT_JSON.format(message=e.msg, line=e.lineno, column=e.colno)) from None
    if not isinstance(event, dict):
        raise EventError(NOT_AN_OBJECT)
    return event


def event_invoke(*, client: LabClient, learner: str, pattern: Pattern, function: str,
                 event: dict) -> RunTrace:
    """Deploy the pattern if need be and invoke `function` (a logical id) with `event`,
    synchronously, traced like a scenario's invoke step."""
    if function not in {f.function for f in function_events(pattern=pattern)}:
        raise EventError(UNKNOWN_FUNCTION.format(function=function))
    step = Step(name=f"invoke {function}", kind="invoke",
                action={"function": function, "event": event})
    scenario = Scenario(slug=f"your event for {function}", title=f"Your event for {function}",
                        description="", steps=(step,))
    return run_scenario(client=client, learner=learner, pattern=pattern, scenario=scenario)
