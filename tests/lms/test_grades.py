"""Assignment and Grade Services: a student's new score goes to the LMS line item from the
task worker, retried with backoff while the platform is down; the gradebook shows sends."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from lms_platform import INSTRUCTOR, LEARNER, TEACHING_ASSISTANT

from classrooms.assignments import assignment_create
from classrooms.models import Assignment, Classroom
from classrooms.quiz import quiz_submit
from classrooms.services import classroom_join
from lms.grades import MAX_ATTEMPTS, retry_delay, score_send_attempt
from lms.models import LmsLink, ScoreSend
from lms.tasks import score_send
from quizzes import bank
from quizzes.grading import LETTERS, option_order
from quizzes.models import Question
from quizzes.store import bank_store


def _question(qid):
    options = tuple(bank.Option(text=f"{qid} option {n + 1}", correct=n == 0,
                                why=f"why {n + 1}") for n in range(4))
    return bank.Question(id=qid, type="single", stem=f"Stem of {qid}", options=options,
                         domain="secure", exam=("SAA-C03",), patterns=("rest-api",))


def _letter(qid, *, correct):
    question = Question.objects.get(bank_id=qid)
    return next(LETTERS[n] for n, o in enumerate(option_order(question=question))
                if o.correct == correct)


@pytest.fixture
def quiz(instructor_client):
    bank_store(questions=[_question("lq-1"), _question("lq-2")])
    return assignment_create(classroom=Classroom.objects.get(), title="Quiz 1",
                             kind=Assignment.QUIZ, question_ids=["lq-1", "lq-2"],
                             attempts_allowed=5)


@pytest.fixture
def linked(instructor_client, platform, quiz):
    """The LMS placed the quiz (deep linking) with a line item; the instructor opened it."""
    lineitem = f"{platform.url}/lineitems/7"
    response = platform.launch(instructor_client, sub="teacher-1", roles=INSTRUCTOR,
                               custom={"assignment_id": str(quiz.pk)}, lineitem=lineitem)
    assert response["Location"] == f"/classes/{quiz.classroom_id}/a/{quiz.pk}/dashboard/"
    return LmsLink.objects.get()


@pytest.fixture
def student(linked, platform):
    client = Client()
    response = platform.launch(client, sub="student-1", roles=LEARNER,
                               custom={"assignment_id": str(linked.assignment_id)},
                               lineitem=linked.lineitem_url)
    assert response["Location"] == \
        f"/classes/{linked.assignment.classroom_id}/a/{linked.assignment_id}/"
    return response.wsgi_request.user


def _submit(quiz, student, capture, *, right: int):
    letters = {"lq-1": [_letter("lq-1", correct=right >= 1)],
               "lq-2": [_letter("lq-2", correct=right >= 2)]}
    with capture(execute=True):
        return quiz_submit(assignment=quiz, student=student, letters=letters)


def test_a_quiz_score_goes_to_the_lms_line_item(quiz, student, platform,
                                                 django_capture_on_commit_callbacks):
    submission = _submit(quiz, student, django_capture_on_commit_callbacks, right=1)
    [sent] = platform.scores
    assert sent["path"] == "/lineitems/7/scores"
    assert sent["content_type"] == "application/vnd.ims.lis.v1.score+json"
    body = sent["body"]
    assert (body["userId"], body["scoreGiven"], body["scoreMaximum"]) == ("student-1", 50, 100)
    assert (body["activityProgress"], body["gradingProgress"]) == ("Completed", "FullyGraded")
    send = ScoreSend.objects.get()
    assert (send.status, send.submission, send.attempts) == (ScoreSend.SENT, submission, 1)
    assert send.sent_at is not None


def test_the_gradebook_shows_what_was_sent_and_when(instructor_client, quiz, student,
                                                   django_capture_on_commit_callbacks):
    _submit(quiz, student, django_capture_on_commit_callbacks, right=2)
    page = instructor_client.get(f"/classes/{quiz.classroom_id}/gradebook/").content.decode()
    assert "Scores sent to the LMS gradebook" in page
    send = ScoreSend.objects.get()
    row = page[page.index(f"<td>{student.username}</td><td>Quiz 1</td>"):]
    assert "<td>100</td>" in row[:200] and "Sent" in row[:300]
    assert send.sent_at.strftime("%Y-%m-%dT%H:%M:%S") in row[:600]


def test_a_platform_that_is_down_gets_the_score_again_later(quiz, student, platform,
                                                           django_capture_on_commit_callbacks):
    platform.down = True
    _submit(quiz, student, django_capture_on_commit_callbacks, right=1)
    send = ScoreSend.objects.get()
    assert (send.status, send.attempts) == (ScoreSend.RETRYING, 1)
    assert "503" in send.error
    assert send.next_attempt_at > timezone.now() + timedelta(seconds=20)
    assert platform.scores == []
    platform.down = False
    score_send.call(send_id=send.pk)  # what the worker runs at next_attempt_at
    send.refresh_from_db()
    assert (send.status, send.attempts, send.error) == (ScoreSend.SENT, 2, "")
    assert [s["body"]["scoreGiven"] for s in platform.scores] == [50]


def test_the_worker_queues_the_retry_after_the_backoff(settings, quiz, student, platform,
                                                      django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    platform.down = True
    _submit(quiz, student, django_capture_on_commit_callbacks, right=1)  # immediate: failed
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend",
                                  "QUEUES": ["default"]}}
    send = ScoreSend.objects.get()
    score_send.call(send_id=send.pk)  # the second attempt, as the worker runs it
    send.refresh_from_db()
    queued = DBTaskResult.objects.get()
    assert queued.args_kwargs["kwargs"] == {"send_id": send.pk}
    assert queued.run_after == send.next_attempt_at
    assert send.attempts == 2
    assert send.next_attempt_at - timezone.now() > timedelta(seconds=50)  # 60 s after 2


@pytest.mark.parametrize("attempts, seconds", [(1, 30), (2, 60), (3, 120), (7, 1920)])
def test_retries_back_off(attempts, seconds):
    assert retry_delay(attempts=attempts) == timedelta(seconds=seconds)


def test_after_the_last_attempt_the_send_is_marked_failed(quiz, student, platform,
                                                         django_capture_on_commit_callbacks):
    platform.down = True
    _submit(quiz, student, django_capture_on_commit_callbacks, right=1)
    send = ScoreSend.objects.get()
    send.attempts = MAX_ATTEMPTS - 1
    score_send_attempt(send=send)
    assert (send.status, send.next_attempt_at) == (ScoreSend.FAILED, None)


def test_an_older_score_does_not_overwrite_a_newer_one(quiz, student, platform,
                                                      django_capture_on_commit_callbacks):
    platform.down = True
    _submit(quiz, student, django_capture_on_commit_callbacks, right=1)
    older = ScoreSend.objects.get()
    platform.down = False
    _submit(quiz, student, django_capture_on_commit_callbacks, right=2)
    score_send_attempt(send=older)
    assert older.status == ScoreSend.SUPERSEDED
    assert [s["body"]["scoreGiven"] for s in platform.scores] == [100]


def test_a_student_the_lms_does_not_know_sends_nothing(quiz, linked, platform,
                                                      django_user_model,
                                                      django_capture_on_commit_callbacks):
    joined_by_code = django_user_model.objects.create_user("walkin")
    classroom_join(user=joined_by_code, code=quiz.classroom.join_code)
    _submit(quiz, joined_by_code, django_capture_on_commit_callbacks, right=2)
    assert not ScoreSend.objects.exists() and platform.scores == []


def test_only_the_classs_staff_see_the_sends(quiz, student, platform):
    student_client = Client()
    student_client.force_login(student)
    url = f"/classes/{quiz.classroom_id}/gradebook/"
    assert student_client.get(url).status_code == 404
    assistant = Client()
    platform.launch(assistant, sub="ta-1", roles=TEACHING_ASSISTANT)
    page = assistant.get(url).content.decode()
    assert "Scores sent to the LMS gradebook" in page
    assert "Sync the roster from the LMS" not in page  # the instructor's alone


def _lab_linked_student(instructor_client, platform, lab):
    lineitem = f"{platform.url}/lineitems/8"
    platform.launch(instructor_client, sub="teacher-1", roles=INSTRUCTOR, resource_link="rl-lab",
                    custom={"assignment_id": str(lab.pk)}, lineitem=lineitem)
    student = Client()
    platform.launch(student, sub="student-1", roles=LEARNER, resource_link="rl-lab",
                    custom={"assignment_id": str(lab.pk)}, lineitem=lineitem)
    return student.get("/classes/").wsgi_request.user


def test_a_check_run_and_a_regrade_send_their_scores(
        lab, lab_cloud, instructor_client, platform, django_capture_on_commit_callbacks):
    from classrooms.grading import assignment_regrade, lab_work_check
    from patterns.lab import learner_for_user

    lab_assignment = assignment_create(classroom=Classroom.objects.get(), title="Orders",
                                       pattern="rest-api")
    user = _lab_linked_student(instructor_client, platform, lab_assignment)
    lab.reset(learner_for_user(user))  # user ids come back between tests; accounts stay
    with django_capture_on_commit_callbacks(execute=True):
        checked = lab_work_check(assignment=lab_assignment, student=user)
    assert checked.score == 100
    with django_capture_on_commit_callbacks(execute=True):
        assert assignment_regrade(assignment=lab_assignment) == 1
    assert [(s["path"], s["body"]["scoreGiven"]) for s in platform.scores] == [
        ("/lineitems/8/scores", 100), ("/lineitems/8/scores", 100)]
    assert ScoreSend.objects.filter(status=ScoreSend.SENT).count() == 2


def test_a_check_that_could_not_reach_the_lab_sends_no_zero(
        instructor_client, platform, django_capture_on_commit_callbacks):
    from classrooms.grading import lab_work_check

    lab_assignment = assignment_create(classroom=Classroom.objects.get(), title="Orders",
                                       pattern="rest-api")
    user = _lab_linked_student(instructor_client, platform, lab_assignment)
    with django_capture_on_commit_callbacks(execute=True):
        checked = lab_work_check(assignment=lab_assignment, student=user)  # no lab cloud here
    assert checked.score == 0 and checked.results[0]["error_type"] == "LabCloudError"
    assert platform.scores == [] and not ScoreSend.objects.exists()
