"""Drift tests: every pattern in the catalog is complete, and every scenario passes."""

import pytest

from patterns.catalog import CONTENT_SECTIONS, catalog
from patterns.diagrams import diagram_from_template
from patterns.runs import run_scenario

PATTERNS = list(catalog().values())
SCENARIOS = [(p, s) for p in PATTERNS for s in p.scenarios.values()]


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.slug)
def test_pattern_has_template_handlers_content_and_a_default_scenario(pattern):
    assert (pattern.folder / "template.yaml").exists()
    assert pattern.handler_sources(), "no handler code under src/"
    for section in CONTENT_SECTIONS:
        assert pattern.content[section], f"{pattern.slug}: section {section} is empty"
        # A stray "key: value" in YAML turns a sentence into a mapping: every item is text.
        assert all(isinstance(item, str) for item in pattern.content[section]), section
    assert pattern.default_scenario.steps


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.slug)
def test_diagram_draws_every_function_of_the_template(pattern):
    diagram = diagram_from_template(pattern.folder)
    functions = [n for n, (layer, _) in diagram.nodes.items() if layer == "compute"]
    assert functions
    for name in functions:
        assert any(name in (e.source, e.target) for e in diagram.edges), f"{name} unconnected"
    assert len(diagram.sentences()) == len(diagram.edges)


@pytest.mark.parametrize(("pattern", "scenario"), SCENARIOS,
                         ids=lambda x: getattr(x, "slug", str(x)))
def test_every_scenario_meets_its_expectations(lab, learner, pattern, scenario):
    trace = run_scenario(client=lab, learner=learner, pattern=pattern, scenario=scenario)
    failed = [x for x in trace.expectations if not x.passed]
    assert trace.error is None
    assert trace.expectations and not failed, failed


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.slug)
def test_template_passes_cfn_lint_without_errors(pattern):
    from patterns.lint import template_findings

    errors = [f for f in template_findings(pattern.template_text) if f.severity == "error"]
    assert errors == []
