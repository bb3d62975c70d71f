"""Quiz assignments: answering through the form, attempts, when answers show, item analysis."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from classrooms.assignments import NO_ATTEMPTS_LEFT, assignment_create
from classrooms.models import Assignment
from classrooms.quiz import quiz_answers_visible, quiz_item_analysis, quiz_submit
from quizzes import bank
from quizzes.grading import LETTERS, option_order
from quizzes.models import Question
from quizzes.store import bank_store


def _question(qid, domain="secure"):
    options = tuple(bank.Option(text=f"{qid} option {n + 1}", correct=n == 0,
                                why=f"why {n + 1}") for n in range(4))
    return bank.Question(id=qid, type="single", stem=f"Stem of {qid}", options=options,
                         domain=domain, exam=("SAA-C03",), patterns=("rest-api",))


@pytest.fixture
def quiz(classroom):
    bank_store(questions=[_question("cq-1"), _question("cq-2")])
    return assignment_create(classroom=classroom, title="Quiz 1", kind=Assignment.QUIZ,
                             question_ids=["cq-1", "cq-2"], attempts_allowed=2,
                             show_answers=Assignment.AFTER_DUE,
                             due_at=timezone.now() + timedelta(days=1))


def _letter(qid, *, correct):
    question = Question.objects.get(bank_id=qid)
    return next(LETTERS[n] for n, o in enumerate(option_order(question=question))
                if o.correct == correct)


def test_a_quiz_attempt_is_graded_and_attempts_run_out(quiz, student):
    right, wrong = _letter("cq-1", correct=True), _letter("cq-2", correct=False)
    first = quiz_submit(assignment=quiz, student=student,
                        letters={"cq-1": [right], "cq-2": [wrong]})
    assert first.score == 50
    second = quiz_submit(assignment=quiz, student=student, letters={
        "cq-1": [right], "cq-2": [_letter("cq-2", correct=True)]})
    assert second.score == 100
    with pytest.raises(ValidationError) as e:
        quiz_submit(assignment=quiz, student=student, letters={"cq-1": [right], "cq-2": [right]})
    assert e.value.messages == [NO_ATTEMPTS_LEFT.format(count=2)]


def test_an_unanswered_question_is_refused(quiz, student):
    with pytest.raises(ValidationError):
        quiz_submit(assignment=quiz, student=student, letters={"cq-1": ["A"]})
    assert not quiz.submissions.exists()


def test_answers_show_after_the_due_date_or_an_extension(quiz, student):
    assert not quiz_answers_visible(assignment=quiz, student=student)
    quiz.due_at = timezone.now() - timedelta(minutes=1)
    quiz.opens_at = timezone.now() - timedelta(days=1)
    quiz.save()
    assert quiz_answers_visible(assignment=quiz, student=student)


def test_item_analysis_counts_each_students_latest_attempt(quiz, student, other_student):
    quiz_submit(assignment=quiz, student=student, letters={
        "cq-1": [_letter("cq-1", correct=True)], "cq-2": [_letter("cq-2", correct=True)]})
    quiz_submit(assignment=quiz, student=other_student, letters={
        "cq-1": [_letter("cq-1", correct=False)], "cq-2": [_letter("cq-2", correct=True)]})
    items = {i.question.bank_id: i for i in quiz_item_analysis(assignment=quiz)}
    assert items["cq-1"].correct_share == 0.5 and items["cq-2"].correct_share == 1
    assert sum(n for _, n, _ in items["cq-1"].option_counts) == 2
    assert [n for _, n, correct in items["cq-2"].option_counts if correct] == [2]


def test_the_quiz_form_grades_and_hides_answers_until_due(client, quiz, student, instructor):
    client.force_login(student)
    url = f"/classes/{quiz.classroom_id}/a/{quiz.pk}/"
    page = client.get(url).content.decode()
    assert 'name="q-cq-1"' in page and "why 1" not in page
    response = client.post(url + "answer/", {"q-cq-1": _letter("cq-1", correct=True),
                                             "q-cq-2": _letter("cq-2", correct=True)})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "score 100" in page and "Answers are shown after the due date" in page
    assert "why 1" not in page
    client.force_login(instructor)
    dashboard = client.get(url + "dashboard/").content.decode()
    assert "Item analysis" in dashboard and "100% correct" in dashboard


def test_a_quiz_assignment_from_the_form_by_pattern(client, instructor, classroom):
    bank_store(questions=[_question("cq-1"), _question("cq-2")])
    client.force_login(instructor)
    response = client.post(f"/classes/{classroom.pk}/assignments/new/", {
        "title": "REST quiz", "kind": "quiz", "question_pattern": "rest-api",
        "question_domain": "secure", "attempts_allowed": 3, "show_answers": "at_once",
        "late_policy": "refuse", "late_penalty_percent": 0})
    assert response.status_code == 302
    quiz = Assignment.objects.get()
    assert sorted(quiz.question_ids) == ["cq-1", "cq-2"] and quiz.attempts_allowed == 3
    response = client.post(f"/classes/{classroom.pk}/assignments/new/", {
        "title": "Empty quiz", "kind": "quiz", "question_pattern": "no-such-pattern",
        "attempts_allowed": 1, "show_answers": "at_once", "late_policy": "refuse",
        "late_penalty_percent": 0})
    assert response.status_code == 400
    assert "A quiz needs at least one question." in response.content.decode()


def test_a_mock_exam_quiz_draws_by_the_domain_weights(classroom):
    from classrooms.quiz import quiz_question_ids
    from quizzes.exams import domain_targets

    bank_store(questions=[_question(f"{d}-{n}", domain=d) for d in bank.DOMAINS
                          for n in range(30)])
    ids = quiz_question_ids(mock_exam=True)
    assert len(ids) == len(set(ids)) == 65
    per_domain = {d: sum(i.startswith(d + "-") for i in ids) for d in bank.DOMAINS}
    assert per_domain == domain_targets(total=65)
