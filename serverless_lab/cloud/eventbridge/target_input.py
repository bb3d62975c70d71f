"""What a rule's target receives: the event, or its `Input`, `InputPath` or `InputTransformer`.

As documented for EventBridge targets: `Input` is sent as given (nothing of the event);
`InputPath` sends the part of the event a JSON path selects; `InputTransformer` fills an
`InputTemplate` with variables from `InputPathsMap` and the predefined `aws.events.*` ones.
In a JSON template a variable outside quotes becomes a JSON value (a string gains quotes), one
inside quotes is inserted as it is (EventBridge does not escape it). A path that is not in the
event creates no variable: the lab writes `null` outside quotes and nothing inside them.
EventBridge Scheduler has no transformer: its `Input` may carry `<aws.scheduler.*>` context
attributes.
"""

import json

from jsonpath_ng.ext import parse as jsonpath

NOT_FOUND = object()
PLACEHOLDER_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")


def path_value(event, path: str):
    """The value a JSON path selects: one match as itself, several as a list."""
    try:
        found = [m.value for m in jsonpath(path).find(event)]
    except Exception:  # noqa: BLE001 - EventBridge evaluates paths at delivery, not at PutTargets
        return NOT_FOUND
    if not found:
        return NOT_FOUND
    return found[0] if len(found) == 1 else found


def target_input(target: dict, event: dict, *, rule_arn: str, rule_name: str,
                 ingestion_time: str) -> str:
    """The text the target is given for this event."""
    if "Input" in target:
        return target["Input"]
    if "InputPath" in target:
        value = path_value(event, target["InputPath"])
        return json.dumps(None if value is NOT_FOUND else value)
    transformer = target.get("InputTransformer")
    if not transformer:
        return json.dumps(event)
    variables = {name: path_value(event, path)
                 for name, path in (transformer.get("InputPathsMap") or {}).items()}
    variables.update({
        "aws.events.rule-arn": rule_arn,
        "aws.events.rule-name": rule_name,
        "aws.events.event.ingestion-time": ingestion_time,
        "aws.events.event": {k: v for k, v in event.items() if k != "detail"},
        "aws.events.event.json": event,
    })
    return fill_template(transformer.get("InputTemplate", ""), variables)


def fill_template(template: str, variables: dict) -> str:
    """InputTemplate with each `<name>` replaced; JSON templates come out minified."""
    is_json = template.lstrip()[:1] in ("{", "[")
    out, in_string, i = [], False, 0
    while i < len(template):
        char = template[i]
        if char == "\\" and in_string:
            out.append(template[i:i + 2])
            i += 2
            continue
        if char == '"':
            in_string = not in_string
        elif char == "<":
            end = template.find(">", i)
            name = template[i + 1:end] if end > i else ""
            if name in variables and set(name) <= PLACEHOLDER_CHARS:
                out.append(_placed(variables[name], quoted=in_string or not is_json))
                i = end + 1
                continue
        out.append(char)
        i += 1
    text = "".join(out)
    if is_json:
        try:
            return json.dumps(json.loads(text), separators=(",", ":"))
        except json.JSONDecodeError:
            return text  # delivered as it is, as EventBridge would
    return text


def _placed(value, *, quoted: bool) -> str:
    if value is NOT_FOUND:
        return "" if quoted else "null"
    if quoted and isinstance(value, str):
        return value
    return json.dumps(value)


SCHEDULER_ATTRIBUTES = ("schedule-arn", "scheduled-time", "execution-id", "attempt-number")


def scheduler_input(target: dict, *, schedule_arn: str, scheduled_time: str,
                    execution_id: str, attempt: int = 1) -> str:
    """A Scheduler target's Input with its context attributes filled in; `{}` without one."""
    text = target.get("Input") or "{}"
    values = dict(zip(SCHEDULER_ATTRIBUTES, (schedule_arn, scheduled_time, execution_id,
                                             str(attempt)), strict=True))
    for name, value in values.items():
        text = text.replace(f"<aws.scheduler.{name}>", value)
    return text
