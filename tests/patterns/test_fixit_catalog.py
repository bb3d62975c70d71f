"""Every fix-it lab of every pattern in the catalog (issue 16), in the real lab cloud: its
start files fail for the reason its kind names (the failing check, or Lambda's refusal for
a visibility timeout), and the solution passes every check.

Parametrized over the catalog's fixits.yaml files, so a new fix-it is tested by adding its
content alone. Run one pattern's: `pytest tests/patterns/test_fixit_catalog.py -k fan-out`.
"""

import json

import pytest

from patterns.catalog import catalog
from patterns.fixits import (
    KINDS,
    fixit_checks_run,
    fixit_try,
    fixit_validate,
    pattern_fixits,
)

FIXITS = [(pattern, fixit) for pattern in sorted(catalog().values(), key=lambda p: p.order)
          for fixit in pattern_fixits(pattern).values()]
IDS = [f"{pattern.slug}/{fixit.slug}" for pattern, fixit in FIXITS]

# The check whose failure is the symptom of each start variant. A fix-it not listed here
# must still fail at least one check, with its kind's evidence in the trace (below).
FAILING_CHECK = {
    "rest-api/missing-permission": "order-created",
    "event-processing/filter-matches-nothing": "upload-processed",
    "fan-out/missing-dlq": "bad-order-set-aside",
    "scheduled-tasks/missing-dlq": "failure-kept",
    "change-data-capture/missing-field": "remove-applied",
    "change-data-capture/filter-matches-nothing": "paid-invokes",
    "streaming/non-idempotent": "batch-retry",
    "streaming/missing-dlq": "failure-kept",
    "api-auth/missing-field": "no-query-string",
    "api-auth/missing-permission": "partner-authorized",
    "orchestration/non-idempotent": "charged-once",
    "orchestration/missing-permission": "order-shipped",
    "realtime-websocket/missing-field": "hello-delivered",
}
# What Lambda answers when a queue's visibility timeout is shorter than the function's.
VISIBILITY_REFUSAL = "seconds is less than Function timeout"


def _failed(result) -> dict[str, str]:
    return {c.id: c.message for c in result.checks if not c.passed}


def _trace_text(result) -> str:
    return json.dumps(result.trace.as_json(), default=str) if result.trace else ""


def test_the_catalog_has_a_fixit_on_every_pattern_and_every_kind():
    assert {p.slug for p, _ in FIXITS} == set(catalog()), "a pattern without a fix-it"
    assert {f.kind for _, f in FIXITS} == set(KINDS), "a kind no fix-it teaches"


def test_every_fixit_has_a_stack_of_its_own():
    """A learner's sandbox holds every fix-it they tried: two sharing a stack name would
    replace each other's stack, across patterns too."""
    stacks = [f.stack for _, f in FIXITS]
    assert not {s for s in stacks if stacks.count(s) > 1}
    assert not set(stacks) & set(catalog())  # nor a pattern's own stack


@pytest.mark.parametrize("pattern, fixit", FIXITS, ids=IDS)
def test_fixit_reads_whole(pattern, fixit):
    """Its files are valid as given (the start's bug is not a syntax error), the solution
    changes an editable file, and every text a learner reads has its figures filled in."""
    assert fixit_validate(fixit=fixit, files=fixit.start_files()) == []
    assert fixit_validate(fixit=fixit, files=fixit.solution_files()) == []
    assert fixit.solution_files() != fixit.start_files()
    assert 2 <= len(fixit.checks) <= 4 and 2 <= len(fixit.hints) <= 3
    texts = [fixit.title, fixit.story, fixit.explanation, *fixit.hints,
             *(c.title for c in fixit.checks)]
    assert not [t for t in texts if "[[" in t]


@pytest.mark.parametrize("pattern, fixit", FIXITS, ids=IDS)
def test_fixit_templates_pass_cfn_lint(pattern, fixit):
    """The mistake is one AWS lets through until deploy or run time, as in real life; the
    rest of the template is as clean as the pattern's own."""
    from patterns.lint import template_findings

    for files in (fixit.start_files(), fixit.solution_files()):
        text = files.get("template.yaml") or (fixit.start / "template.yaml").read_text()
        assert [f for f in template_findings(text) if f.severity == "error"] == []


@pytest.mark.parametrize("pattern, fixit", FIXITS, ids=IDS)
def test_fixit_start_fails_for_its_reason_and_solution_passes(lab, learner, pattern, fixit):
    name = f"{pattern.slug}/{fixit.slug}"
    start = fixit_try(client=lab, learner=learner, pattern=pattern, fixit=fixit,
                      files=fixit.start_files())
    assert not start.passed
    if fixit.kind == "visibility-timeout":
        # Lambda refuses the event source mapping, so the stack does not deploy.
        assert not start.deployed
        assert any(VISIBILITY_REFUSAL in e.message for e in start.errors), start.errors
    else:
        assert start.deployed and not start.errors, start.errors
        failed = _failed(start)
        assert failed, f"{name}: every check passed with the start files"
        if name in FAILING_CHECK:
            assert FAILING_CHECK[name] in failed, failed
        if fixit.kind == "missing-permission":
            assert "AccessDenied" in _trace_text(start), failed
        if fixit.kind == "missing-field":
            assert any(i.get("error") for i in start.trace.invocations), failed

    solved = fixit_try(client=lab, learner=learner, pattern=pattern, fixit=fixit,
                       files=fixit.solution_files())
    assert solved.deployed, solved.errors
    assert solved.passed, _failed(solved) or solved.errors
    # A classroom hand-in runs the checks again on what is deployed, right away: what the
    # first run left behind (items, dead letters) must not fail them.
    again = fixit_checks_run(client=lab, learner=learner, pattern=pattern, fixit=fixit)
    assert again.passed, _failed(again) or again.errors
