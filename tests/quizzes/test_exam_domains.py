"""Practice "By exam domain" lists both exams' domains, each filtering to its exam's questions
in that domain (issue 16)."""

import pytest
from django.urls import reverse

from quizzes import bank
from quizzes.practice import Topic, topic_questions
from quizzes.store import bank_store

PER_DOMAIN = 3


@pytest.fixture
def both_exams_bank(db, bank_factory, question_factory):
    saa = bank_factory({d: PER_DOMAIN for d in bank.DOMAINS})
    dva = bank_factory({d: PER_DOMAIN for d in bank.DVA_DOMAINS}, exam="DVA-C02")
    # One question in both exams: in SAA-C03's cost domain and DVA-C02's deployment domain.
    both = question_factory("both-1", domain="cost", dva_domain="deployment",
                            exam=("SAA-C03", "DVA-C02"))
    bank_store(questions=saa + dva + [both])


def test_the_overview_lists_both_exams_domains_grouped_by_exam(client, both_exams_bank):
    html = client.get(reverse("quizzes:index")).content.decode()
    section = html.split("<h3>By exam domain</h3>", 1)[1].split("<h3>", 1)[0]
    saa, dva = section.split('id="domains-DVA-C02"', 1)
    assert 'id="domains-SAA-C03">SAA-C03</h4>' in saa
    for exam, part in (("SAA-C03", saa), ("DVA-C02", dva)):
        for domain, name in bank.DOMAIN_NAMES[exam].items():
            count = PER_DOMAIN + ((exam, domain) in {("SAA-C03", "cost"),
                                                     ("DVA-C02", "deployment")})
            assert (f'href="/quizzes/practice/?exam={exam}&amp;domain={domain}">{name}</a> '
                    f'<span class="muted">({count})</span>') in part


@pytest.mark.parametrize("exam, domain", [(e, d) for e, ds in bank.EXAM_DOMAINS.items()
                                          for d in ds])
def test_each_domain_filter_gives_that_exams_questions_in_that_domain(both_exams_bank, exam,
                                                                      domain):
    found = list(topic_questions(topic=Topic(exam=exam, domain=domain), learner=None))
    expected = {f"{domain}-{n:03d}" for n in range(PER_DOMAIN)}
    if (exam, domain) in {("SAA-C03", "cost"), ("DVA-C02", "deployment")}:
        expected.add("both-1")
    assert {q.bank_id for q in found} == expected
    assert all(exam in q.tags("exams") and bank.question_domain(q, exam=exam) == domain
               for q in found)


def test_the_dva_domain_page_practises_a_dva_question(client, both_exams_bank):
    page = client.get(reverse("quizzes:practice"),
                      {"exam": "DVA-C02", "domain": "security"}).content.decode()
    assert "Topic: domain DVA-C02 security." in page
    assert "Stem of security-0" in page


def test_a_domain_alone_still_filters_on_the_saa_domain(both_exams_bank):
    # The links of earlier pages (?domain=cost) keep working: every question has an SAA domain.
    found = {q.bank_id for q in topic_questions(topic=Topic(domain="cost"), learner=None)}
    assert {"cost-000", "both-1"} <= found and not any(i.startswith("secure") for i in found)
