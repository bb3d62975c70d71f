"""Drift tests (issue 16): every experiment has at least two questions tied to it, and every
fix-it lab at least one, in the bank's own files."""

from collections import Counter

import pytest

from patterns.catalog import catalog
from patterns.experiments import pattern_experiments
from quizzes.bank import bank_read
from quizzes.lab_links import fixit_slugs

LINKED = Counter(key for q in bank_read() for key in q.labs)
OWN = [p for p in catalog().values() if not p.imported]
EXPERIMENTS = [f"{p.slug}/experiment/{slug}" for p in OWN for slug in pattern_experiments(p)]
FIXITS = [f"{p.slug}/fixit/{slug}" for p in OWN for slug in sorted(fixit_slugs(p.folder) or ())]


def test_the_catalog_has_the_issues_experiments():
    assert len(EXPERIMENTS) >= 8


@pytest.mark.parametrize("key", EXPERIMENTS)
def test_every_experiment_has_at_least_two_questions(key):
    assert LINKED[key] >= 2, f"only {LINKED[key]} question(s) tied to {key}"


@pytest.mark.parametrize("key", FIXITS)
def test_every_fixit_has_a_question(key):
    assert LINKED[key] >= 1, f"no question tied to {key}: add `lab: {{pattern: ..., fixit: ...}}`"
