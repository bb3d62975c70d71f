"""Lambda event filtering (an event source mapping's FilterCriteria), as AWS evaluates it.

A mapping has up to five filters, ORed; a record that matches none is not sent to the
function (for SQS, Lambda deletes it). A pattern's keys are ANDed; each leaf is a list of
alternatives, ORed: literal values (strings, numbers, true/false, null, ""), and the rules
Lambda documents: `prefix`, `suffix`, `equals-ignore-case`, `anything-but`, `numeric`,
`exists`, and `$or` over whole sub-patterns.

SQS specifics (AWS's table of message and pattern formats): the `body` is matched as JSON
when it parses as a JSON object, else as a plain string. A pattern that expects JSON
properties in the body never matches a plain-string body, and a plain-string pattern never
matches a JSON body.
"""

import json

INVALID_PATTERN = "Invalid filter pattern definition."
MAX_FILTERS = 5


class InvalidFilter(ValueError):
    pass


def patterns_parse(filter_criteria: dict | None) -> list[dict]:
    """The patterns of a FilterCriteria ({"Filters": [{"Pattern": "<json>"}]}), validated."""
    filters = (filter_criteria or {}).get("Filters") or []
    patterns = []
    for entry in filters:
        raw = entry.get("Pattern") if isinstance(entry, dict) else None
        try:
            pattern = json.loads(raw) if isinstance(raw, str) else raw
        except json.JSONDecodeError:
            raise InvalidFilter(INVALID_PATTERN) from None
        if not isinstance(pattern, dict) or not pattern or not _well_formed(pattern):
            raise InvalidFilter(INVALID_PATTERN)
        patterns.append(pattern)
    return patterns


def _well_formed(pattern: dict) -> bool:
    for key, value in pattern.items():
        if key == "$or":
            if not (isinstance(value, list) and value
                    and all(isinstance(p, dict) and _well_formed(p) for p in value)):
                return False
        elif isinstance(value, dict):
            if not value or not _well_formed(value):
                return False
        elif not isinstance(value, list) or not value:
            return False
    return True


def sqs_record_matches(record: dict, patterns: list[dict]) -> bool:
    """Whether an SQS event record passes the mapping's filters (no filters: every record)."""
    if not patterns:
        return True
    try:
        body = json.loads(record["body"])
    except (json.JSONDecodeError, TypeError):
        body = None
    if not isinstance(body, dict):
        body = record["body"]
    return document_matches({**record, "body": body}, patterns)


def document_matches(document: dict, patterns: list[dict]) -> bool:
    """Whether a record, as its source's filters see it, matches any of the patterns."""
    return any(_matches(pattern, document) for pattern in patterns)


def _matches(pattern: dict, document) -> bool:
    for key, rule in pattern.items():
        if key == "$or":
            if not any(_matches(p, document) for p in rule):
                return False
            continue
        present = isinstance(document, dict) and key in document
        value = document.get(key) if present else None
        if isinstance(rule, dict):
            if not present or not isinstance(value, dict) or not _matches(rule, value):
                return False
        elif not _leaf_matches(rule, value, present=present):
            return False
    return True


def _leaf_matches(alternatives: list, value, *, present: bool) -> bool:
    if isinstance(value, dict):
        return False  # a plain-value rule never matches a JSON object
    values = value if isinstance(value, list) else [value]
    for alternative in alternatives:
        if isinstance(alternative, dict) and "exists" in alternative:
            if bool(alternative["exists"]) == (present and value is not None):
                return True
            continue
        if present and any(_value_matches(alternative, v) for v in values):
            return True
    return False


def _value_matches(rule, value) -> bool:
    if not isinstance(rule, dict):
        if rule is None or value is None:
            return rule is value
        if isinstance(rule, bool) or isinstance(value, bool):
            return rule is value
        if isinstance(rule, (int, float)) and isinstance(value, (int, float)):
            return float(rule) == float(value)
        return rule == value
    if "prefix" in rule:
        return isinstance(value, str) and value.startswith(str(rule["prefix"]))
    if "suffix" in rule:
        return isinstance(value, str) and value.endswith(str(rule["suffix"]))
    if "equals-ignore-case" in rule:
        return isinstance(value, str) and value.lower() == str(rule["equals-ignore-case"]).lower()
    if "anything-but" in rule:
        excluded = rule["anything-but"]
        if isinstance(excluded, dict):
            return value is not None and not _value_matches(excluded, value)
        excluded = excluded if isinstance(excluded, list) else [excluded]
        return value is not None and not any(_value_matches(e, value) for e in excluded)
    if "numeric" in rule:
        return _numeric_matches(rule["numeric"], value)
    return False


def _numeric_matches(conditions: list, value) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    tests = {"=": float.__eq__, "<": float.__lt__, "<=": float.__le__, ">": float.__gt__,
             ">=": float.__ge__}
    for operator, operand in zip(conditions[::2], conditions[1::2], strict=False):
        test = tests.get(operator)
        if test is None or not test(float(value), float(operand)):
            return False
    return True
