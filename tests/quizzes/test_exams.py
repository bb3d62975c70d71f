import random
import re
from collections import Counter
from datetime import timedelta

import pytest

from quizzes import bank
from quizzes.exam_pages import exam_report
from quizzes.exams import (
    ALREADY_SUBMITTED,
    EXAM_LENGTH,
    NO_QUESTIONS,
    TIME_UP,
    ExamClosed,
    domain_targets,
    exam_answer,
    exam_grade,
    exam_start,
)
from quizzes.models import Answer, ExamAttempt, ReviewCard
from quizzes.store import bank_store

HTMX = {"HTTP_HX_REQUEST": "true"}


def start(client) -> ExamAttempt:
    response = client.post("/quizzes/exam/start/")
    attempt = ExamAttempt.objects.get()
    assert response["Location"] == f"/quizzes/exam/{attempt.pk}/1/"
    return attempt


def test_domain_targets_follow_the_saa_c03_weights():
    assert domain_targets(total=65) == {"secure": 19, "resilient": 17, "performance": 16,
                                        "cost": 13}
    assert domain_targets(total=100) == bank.DOMAINS
    assert sum(domain_targets(total=7).values()) == 7


def test_a_65_question_draw_is_weighted_by_domain(stored_bank, learner, now):
    attempt = exam_start(learner=learner, now=now, rng=random.Random(1))
    items = list(attempt.items.select_related("question"))
    assert len(items) == EXAM_LENGTH == len({i.question_id for i in items})
    assert Counter(i.question.domain for i in items) == domain_targets(total=65)
    assert [i.position for i in items] == list(range(1, 66))
    assert attempt.duration == timedelta(minutes=130) and attempt.note == ""


def test_a_domain_short_of_questions_is_filled_from_the_others_and_said(db, learner, now,
                                                                        bank_factory):
    bank_store(questions=bank_factory({"secure": 5, "resilient": 30, "performance": 30,
                                         "cost": 30}))
    attempt = exam_start(learner=learner, now=now, rng=random.Random(2))
    counts = Counter(i.question.domain for i in attempt.items.select_related("question"))
    assert sum(counts.values()) == 65 and counts["secure"] == 5
    assert "Only 5 secure questions of the 19" in attempt.note
    assert "14 were drawn from other domains" in attempt.note


def test_a_short_bank_gives_a_shorter_exam_with_pro_rata_time(db, learner, now, bank_factory):
    bank_store(questions=bank_factory({d: 3 for d in bank.DOMAINS}))
    attempt = exam_start(learner=learner, now=now)
    assert attempt.items.count() == 12
    assert attempt.duration == timedelta(minutes=24)
    assert "only 12 questions" in attempt.note


def test_only_questions_for_the_exam_are_drawn(db, learner, now, question_factory):
    bank_store(questions=[question_factory("saa"),
                          question_factory("dva", exam=("DVA-C02",))])
    attempt = exam_start(learner=learner, now=now)
    assert [i.question.bank_id for i in attempt.items.all()] == ["saa"]


def test_timer_can_be_extended_or_turned_off(stored_bank, learner, now, settings):
    settings.QUIZ_TIMER_EXTENSION = 1.5
    assert exam_start(learner=learner, now=now).duration == timedelta(minutes=195)
    settings.QUIZ_TIMER_ENABLED = False
    untimed = exam_start(learner=learner, now=now)
    assert untimed.duration is None and untimed.deadline is None
    # Three days later an untimed exam still takes the answer.
    exam_answer(attempt=untimed, position=1, letters=["A"], flagged=False,
                now=now + timedelta(days=3))
    assert untimed.items.get(position=1).chosen != ""  # stored (as an option position)


def test_grading_scores_all_or_nothing_with_a_domain_breakdown(stored_bank, learner, now,
                                                               letters_for):
    attempt = exam_start(learner=learner, now=now, rng=random.Random(3))
    items = list(attempt.items.select_related("question"))
    for item in items[:45]:
        exam_answer(attempt=attempt, position=item.position, flagged=False, now=now,
                    letters=letters_for(item.question, correct=True))
    multi = next(i for i in items[45:] if i.question.type == "multi")
    exam_answer(attempt=attempt, position=multi.position, flagged=False, now=now,
                letters=letters_for(multi.question, correct=True)[:1])  # one of two
    graded = exam_grade(attempt=attempt, now=now)
    # 100 + 900 x 45/65 = 723: the lab's own linear approximation of the 100-1000 scale.
    # AWS scores 50 of the 65 questions and does not publish its scaling.
    assert (graded.correct_count, graded.score) == (45, 723)
    report = exam_report(attempt=graded)
    assert report.passed
    assert sum(d.total for d in report.domains) == 65
    assert sum(d.correct for d in report.domains) == 45
    assert Answer.objects.filter(attempt=attempt).count() == 46  # the unanswered are not
    assert ReviewCard.objects.filter(learner=learner).count() == 46
    assert exam_grade(attempt=graded, now=now).score == 723  # grading twice changes nothing
    with pytest.raises(ExamClosed, match=ALREADY_SUBMITTED):
        exam_answer(attempt=graded, position=1, letters=["A"], flagged=False, now=now)


def test_answers_after_the_deadline_are_refused(stored_bank, learner, now):
    attempt = exam_start(learner=learner, now=now - timedelta(minutes=131))
    with pytest.raises(ExamClosed, match=TIME_UP):
        exam_answer(attempt=attempt, position=1, letters=["A"], flagged=False, now=now)
    assert attempt.items.get(position=1).chosen == ""


def test_a_late_answer_through_the_page_is_refused_and_the_exam_submits(client, stored_bank):
    attempt = start(client)
    ExamAttempt.objects.filter(pk=attempt.pk).update(
        started_at=attempt.started_at - timedelta(minutes=130, seconds=1))
    response = client.post(f"/quizzes/exam/{attempt.pk}/1/save/", {"answer": ["A"],
                                                                     "go": "next"})
    assert response["Location"] == f"/quizzes/exam/{attempt.pk}/result/"
    attempt.refresh_from_db()
    assert attempt.submitted_at is not None and attempt.score == 100
    assert attempt.items.get(position=1).chosen == ""
    html = client.get(response["Location"]).content.decode()
    assert TIME_UP in html and "Score <strong>100</strong>" in html


def test_the_next_request_after_expiry_submits_the_exam(client, stored_bank):
    attempt = start(client)
    ExamAttempt.objects.filter(pk=attempt.pk).update(
        started_at=attempt.started_at - timedelta(hours=3))
    response = client.get(f"/quizzes/exam/{attempt.pk}/timer/", **HTMX)
    assert response["HX-Redirect"] == f"/quizzes/exam/{attempt.pk}/result/"
    graded = ExamAttempt.objects.get()
    assert graded.submitted_at == graded.deadline  # submitted as of the deadline


def test_answers_and_flags_survive_a_reload(client, stored_bank):
    attempt = start(client)
    response = client.post(f"/quizzes/exam/{attempt.pk}/3/save/",
                           {"answer": ["B"], "flagged": "1", "go": "next"})
    assert response["Location"] == f"/quizzes/exam/{attempt.pk}/4/"
    html = client.get(f"/quizzes/exam/{attempt.pk}/3/").content.decode()  # a fresh request
    assert 'value="B" checked' in html and 'id="flagged" checked' in html
    assert "Question 3 of 65" in html and "64 unanswered, 1 flagged" in html
    assert "3<span class=\"visually-hidden\">, answered, flagged</span>" in html


def test_changing_an_answer_replaces_it(client, stored_bank):
    attempt = start(client)
    client.post(f"/quizzes/exam/{attempt.pk}/1/save/", {"answer": ["A"], "go": "next"})
    client.post(f"/quizzes/exam/{attempt.pk}/1/save/", {"answer": ["C"], "go": "1"})
    html = client.get(f"/quizzes/exam/{attempt.pk}/1/").content.decode()
    assert 'value="C" checked' in html and 'value="A" checked' not in html


def test_htmx_navigation_swaps_the_exam_region_and_pushes_the_url(client, stored_bank):
    attempt = start(client)
    response = client.post(f"/quizzes/exam/{attempt.pk}/1/save/", {"go": "7"}, **HTMX)
    html = response.content.decode()
    assert response["HX-Push-Url"] == f"/quizzes/exam/{attempt.pk}/7/"
    assert html.lstrip().startswith('<div id="exam"') and "Question 7 of 65" in html
    assert "<html" not in html


def test_exam_pages_never_show_answers_before_submission(client, stored_bank):
    attempt = start(client)
    for position in (1, 2, 65):
        html = client.get(f"/quizzes/exam/{attempt.pk}/{position}/").content.decode()
        assert "WHY-" not in html and "Right answer" not in html
    assert client.get(f"/quizzes/exam/{attempt.pk}/result/")["Location"] == \
        f"/quizzes/exam/{attempt.pk}/1/"


def test_submit_shows_score_breakdown_and_review(client, stored_bank, letters_for):
    attempt = start(client)
    item = attempt.items.get(position=1)
    client.post(f"/quizzes/exam/{attempt.pk}/1/save/",
                {"answer": letters_for(item.question, correct=True), "go": "submit"})
    html = client.get(f"/quizzes/exam/{attempt.pk}/result/").content.decode()
    assert "Score <strong>114</strong>" in html and "not yet a pass" in html
    assert "<th scope=\"row\">secure</th><td>" in html
    assert html.count("WHY-") == sum(i.question.options.count() for i in attempt.items.all())
    assert html.count("unanswered") == 64


def test_another_learners_exam_is_not_found(client, stored_bank, learner, now):
    attempt = exam_start(learner=learner, now=now)
    assert client.get(f"/quizzes/exam/{attempt.pk}/1/").status_code == 404
    assert client.post(f"/quizzes/exam/{attempt.pk}/1/save/", {"go": "next"}).status_code == 404


def test_the_exam_works_without_javascript_with_csrf_enforced(db, stored_bank):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    html = client.get("/quizzes/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
    client.post("/quizzes/exam/start/", {"csrfmiddlewaretoken": token})
    attempt = ExamAttempt.objects.get()
    html = client.get(f"/quizzes/exam/{attempt.pk}/1/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
    response = client.post(f"/quizzes/exam/{attempt.pk}/1/save/",
                           {"answer": ["A"], "go": "next", "csrfmiddlewaretoken": token})
    assert response["Location"] == f"/quizzes/exam/{attempt.pk}/2/"
    assert attempt.items.get(position=1).chosen != ""


def test_saving_a_question_the_exam_does_not_have_is_not_found(client, stored_bank):
    attempt = start(client)
    assert client.post(f"/quizzes/exam/{attempt.pk}/66/save/", {"go": "next"}).status_code == 404


def test_an_empty_bank_says_how_to_fill_it(client, db):
    response = client.post("/quizzes/exam/start/", follow=True)
    assert response.redirect_chain == [("/quizzes/", 302)]
    assert NO_QUESTIONS in response.content.decode()
    assert not ExamAttempt.objects.exists()
