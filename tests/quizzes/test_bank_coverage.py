"""Drift tests for the question bank: it covers every pattern in the catalog and every service
on the glossary, and keeps the exam's shape (a fifth or more multiple response)."""

import pytest

from patterns.catalog import catalog
from patterns.reference import glossary_entries
from quizzes.bank import bank_read

BANK = bank_read()


@pytest.mark.parametrize("slug", [p.slug for p in catalog().values() if not p.imported])
def test_every_pattern_has_questions(slug):
    assert any(slug in q.patterns for q in BANK), f"no question teaches {slug}"


@pytest.mark.parametrize("slug", sorted(glossary_entries()))
def test_every_glossary_service_has_questions(slug):
    assert any(slug in q.services for q in BANK), f"no question is about {slug}"


def test_bank_has_the_exams_shape():
    assert len(BANK) >= 400
    assert sum(q.type == "multi" for q in BANK) * 5 >= len(BANK)
    assert {q.domain for q in BANK} == {"secure", "resilient", "performance", "cost"}
