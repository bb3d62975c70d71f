"""Identity-policy evaluation, as IAM does it for one principal in its own account.

An explicit Deny wins; else an Allow whose Action (or NotAction) and Resource (or
NotResource) match allows; else the request is implicitly denied. Action names match
case-insensitively, resources case-sensitively, both with the wildcards `*` and `?`.

What the lab cannot do, and how it errs toward allowing (never a false denial):
- Conditions are not evaluated (the lab has no request context for most condition keys): an
  Allow with a Condition counts as allowing, a Deny with a Condition is ignored.
- Policy variables (`${aws:username}`...) are matched literally.
- A statement whose Action or Resource is not a string (an intrinsic left unresolved) counts
  as matching for an Allow and as not matching for a Deny.
- Resource-based policies (bucket, queue, topic, function policies), permissions boundaries,
  session policies and SCPs are not read: for a role calling into its own account the
  identity policy alone decides, which is what AWS does when no resource policy denies.
"""

import json
import re
from dataclasses import dataclass
from functools import lru_cache

ALLOW = "allow"
EXPLICIT_DENY = "explicit_deny"
IMPLICIT_DENY = "implicit_deny"


@dataclass(frozen=True)
class Statement:
    effect: str  # "Allow" or "Deny"
    actions: tuple[str, ...]
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...]
    not_resources: tuple[str, ...] | None
    conditional: bool


def _strings(value) -> tuple:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list) else (value,)


def statements_of(document) -> list[Statement]:
    """The statements of a policy document (a JSON string or an already parsed dict)."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except json.JSONDecodeError:
            return []
    if not isinstance(document, dict):
        return []
    found = []
    for raw in _strings(document.get("Statement")):
        if not isinstance(raw, dict) or raw.get("Effect") not in ("Allow", "Deny"):
            continue
        found.append(Statement(
            effect=raw["Effect"],
            actions=_strings(raw.get("Action")),
            not_actions=_strings(raw["NotAction"]) if "NotAction" in raw else None,
            resources=_strings(raw.get("Resource")),
            not_resources=_strings(raw["NotResource"]) if "NotResource" in raw else None,
            conditional=bool(raw.get("Condition"))))
    return found


@lru_cache(maxsize=4096)
def _pattern(text: str, ignore_case: bool) -> re.Pattern:
    expression = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
    return re.compile(expression, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _any_match(patterns: tuple, value: str, *, ignore_case: bool, unknown: bool) -> bool:
    for pattern in patterns:
        if not isinstance(pattern, str):
            if unknown:
                return True
            continue
        if pattern == "*" or _pattern(pattern, ignore_case).fullmatch(value):
            return True
    return False


def _applies(statement: Statement, action: str, resource: str) -> bool:
    lenient = statement.effect == "Allow"  # a value the lab cannot read: never deny on it
    if statement.not_actions is not None:
        if _any_match(statement.not_actions, action, ignore_case=True, unknown=not lenient):
            return False
    elif not _any_match(statement.actions, action, ignore_case=True, unknown=lenient):
        return False
    if statement.not_resources is not None:
        return not _any_match(statement.not_resources, resource, ignore_case=False,
                              unknown=not lenient)
    return _any_match(statement.resources, resource, ignore_case=False, unknown=lenient)


def decide(statements: list[Statement], action: str, resource: str) -> str:
    """ALLOW, EXPLICIT_DENY or IMPLICIT_DENY for one action on one resource."""
    allowed = False
    for statement in statements:
        if statement.effect == "Deny":
            if not statement.conditional and _applies(statement, action, resource):
                return EXPLICIT_DENY
        elif not allowed and _applies(statement, action, resource):
            allowed = True
    return ALLOW if allowed else IMPLICIT_DENY
