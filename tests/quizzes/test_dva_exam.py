"""The Developer Associate (DVA-C02) mock exam beside SAA-C03: chosen on the page, drawn by the
DVA-C02 domain weights, reported by those domains, and private to the learner who took it."""

import random
import re
from collections import Counter

import pytest

from quizzes import bank
from quizzes.bank import BankError, bank_read
from quizzes.exam_pages import exam_report
from quizzes.exams import EXAM_LENGTH, UNKNOWN_EXAM, domain_targets, exam_grade, exam_start
from quizzes.models import ExamAttempt
from quizzes.store import bank_store

HTMX = {"HTTP_HX_REQUEST": "true"}
SCALE_NOTE = "AWS scores\n  50 of the exam's 65 questions"


def test_dva_domain_targets_follow_the_dva_c02_weights():
    assert domain_targets(total=65, exam="DVA-C02") == {
        "development": 21, "security": 17, "deployment": 15, "troubleshooting": 12}
    assert domain_targets(total=100, exam="DVA-C02") == bank.DVA_DOMAINS
    assert sum(bank.DVA_DOMAINS.values()) == 100


def test_a_65_question_dva_draw_is_weighted_by_the_dva_domains(stored_dva_bank, learner, now):
    attempt = exam_start(learner=learner, now=now, exam="DVA-C02", rng=random.Random(4))
    items = list(attempt.items.select_related("question"))
    assert attempt.exam == "DVA-C02" and attempt.note == ""
    assert len(items) == EXAM_LENGTH == len({i.question_id for i in items})
    assert Counter(i.question.dva_domain for i in items) == {
        "development": 21, "security": 17, "deployment": 15, "troubleshooting": 12}


def test_each_exam_draws_only_its_own_questions(db, learner, now, bank_factory):
    bank_store(questions=bank_factory({d: 20 for d in bank.DOMAINS})
               + bank_factory({d: 20 for d in bank.DVA_DOMAINS}, exam="DVA-C02"))
    dva = exam_start(learner=learner, now=now, exam="DVA-C02")
    saa = exam_start(learner=learner, now=now)
    assert {i.question.exams for i in dva.items.select_related("question")} == {"DVA-C02"}
    assert {i.question.exams for i in saa.items.select_related("question")} == {"SAA-C03"}


def test_a_dva_domain_short_of_questions_is_filled_and_said(db, learner, now, bank_factory):
    bank_store(questions=bank_factory({"development": 30, "security": 30, "deployment": 4,
                                       "troubleshooting": 30}, exam="DVA-C02"))
    attempt = exam_start(learner=learner, now=now, exam="DVA-C02", rng=random.Random(5))
    counts = Counter(i.question.dva_domain for i in attempt.items.select_related("question"))
    assert sum(counts.values()) == 65 and counts["deployment"] == 4
    assert "Only 4 deployment questions of the 15" in attempt.note


def test_the_page_offers_both_exams_and_starts_the_chosen_one(client, stored_dva_bank):
    html = client.get("/quizzes/").content.decode()
    assert re.search(r'<input type="radio" name="exam" id="exam-SAA-C03" value="SAA-C03" checked>',
                     html)
    assert '<input type="radio" name="exam" id="exam-DVA-C02" value="DVA-C02">' in html
    assert "development 32%, security 26%, deployment 24%, troubleshooting 18%" in html
    response = client.post("/quizzes/exam/start/", {"exam": "DVA-C02"})
    attempt = ExamAttempt.objects.get()
    assert attempt.exam == "DVA-C02" and attempt.items.count() == 65
    assert response["Location"] == f"/quizzes/exam/{attempt.pk}/1/"
    html = client.get(response["Location"]).content.decode()
    assert "<title>DVA-C02 mock exam, question 1" in html


def test_an_exam_the_lab_does_not_offer_is_refused_where_the_learner_chose(client, stored_bank):
    response = client.post("/quizzes/exam/start/", {"exam": "SAP-C02"}, follow=True)
    assert response.redirect_chain == [("/quizzes/", 302)]
    assert UNKNOWN_EXAM.format(exams="SAA-C03, DVA-C02") in response.content.decode()
    assert not ExamAttempt.objects.exists()


def test_no_exam_field_still_starts_saa_c03(client, stored_bank):
    client.post("/quizzes/exam/start/")
    assert ExamAttempt.objects.get().exam == "SAA-C03"


@pytest.mark.parametrize("exam", ["SAA-C03", "DVA-C02"])
def test_the_result_says_its_scale_is_the_labs_approximation(client, db, bank_factory, exam):
    domains = bank.EXAM_DOMAINS[exam]
    bank_store(questions=bank_factory({d: 20 for d in domains}, exam=exam))
    client.post("/quizzes/exam/start/", {"exam": exam})
    attempt = ExamAttempt.objects.get()
    client.post(f"/quizzes/exam/{attempt.pk}/1/save/", {"go": "submit"})
    html = client.get(f"/quizzes/exam/{attempt.pk}/result/").content.decode()
    assert f"Mock exam result: {exam}" in html
    assert "the lab's approximation" in html and SCALE_NOTE in html
    assert "does not publish its scaling" in html
    for domain in domains:  # the breakdown is by the chosen exam's domains
        assert f'<th scope="row">{domain}</th>' in html


def test_the_dva_report_groups_by_dva_domain(stored_dva_bank, learner, now):
    attempt = exam_grade(attempt=exam_start(learner=learner, now=now, exam="DVA-C02"), now=now)
    report = exam_report(attempt=attempt)
    assert [(d.domain, d.total) for d in report.domains] == [
        ("development", 21), ("security", 17), ("deployment", 15), ("troubleshooting", 12)]
    assert report.exam_name == "AWS Certified Developer – Associate (DVA-C02)"


def test_another_learners_dva_attempt_is_not_found(client, stored_dva_bank, learner, now):
    attempt = exam_start(learner=learner, now=now, exam="DVA-C02")
    base = f"/quizzes/exam/{attempt.pk}"
    assert client.get(f"{base}/1/").status_code == 404
    assert client.post(f"{base}/1/save/", {"answer": ["A"], "go": "submit"}).status_code == 404
    assert client.get(f"{base}/timer/", **HTMX).status_code == 404
    assert client.get(f"{base}/result/").status_code == 404
    exam_grade(attempt=attempt, now=now)
    assert client.get(f"{base}/result/").status_code == 404
    assert attempt.items.exclude(chosen="").count() == 0  # nothing was saved for the stranger


DVA_QUESTION = """\
- id: dva-x-001
  exam: [DVA-C02]
  domain: secure
  {extra}
  stem: Which one?
  options:
    - {{text: a, correct: true, why: right}}
    - {{text: b, why: wrong}}
    - {{text: c, why: wrong}}
    - {{text: d, why: wrong}}
"""


@pytest.mark.parametrize(("extra", "message"), [
    ("type: single", "dva-x-001: a DVA-C02 question needs dva_domain"),
    ("dva_domain: ops", "dva_domain must be one of"),
])
def test_a_bank_file_without_a_sound_dva_domain_is_refused_at_its_line(tmp_path, extra, message):
    (tmp_path / "dva-x.yaml").write_text(DVA_QUESTION.format(extra=extra))
    with pytest.raises(BankError, match=rf"^dva-x.yaml:1: .*{message}"):
        bank_read(tmp_path)


def test_every_dva_question_in_the_bank_has_a_dva_domain_and_the_mock_can_be_filled():
    dva = [q for q in bank_read() if "DVA-C02" in q.exam]
    assert all(q.dva_domain in bank.DVA_DOMAINS for q in dva)
    counts = Counter(q.dva_domain for q in dva)
    for domain, want in domain_targets(total=65, exam="DVA-C02").items():
        assert counts[domain] >= want, f"only {counts[domain]} {domain} questions for {want}"


def test_the_dva_weights_are_the_numbers_files_figures():
    from serverless_lab.aws_numbers import figure

    assert {d: figure(f"exam.dva_domain_{d}").value for d in bank.DVA_DOMAINS} == bank.DVA_DOMAINS
    assert figure("exam.dva_questions").value == EXAM_LENGTH
