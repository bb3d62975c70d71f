"""Re-grading runs in the task worker, not in the request: the dashboard shows it queued,
then done. And the dashboard's "last active" is the student's latest sign of work: a run of
the lab's pattern in their sandbox, a visit of the assignment's page, or a submission."""

from datetime import timedelta
from html import escape

import pytest
from django.core.management import call_command
from django.utils import timezone

from classrooms.assignments import assignment_checks_update, assignment_create
from classrooms.dashboard import last_active
from classrooms.grading import lab_work_check
from classrooms.models import Assignment, AssignmentVisit, Regrade, Submission
from classrooms.regrades import ALREADY_QUEUED, NOT_A_LAB, STALE_AFTER
from patterns.lab import learner_for_user
from patterns.models import RunRecord, run_record_save

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def orders_lab(classroom):
    return assignment_create(classroom=classroom, title="Orders API", pattern="rest-api")


def _dashboard(client, assignment):
    return client.get(f"/classes/{assignment.classroom_id}/a/{assignment.pk}/dashboard/",
                      headers={"HX-Request": "true"}).content.decode()


# Transactional: the worker closes its database connection after a task, which would end the
# test's own transaction on PostgreSQL.
@pytest.mark.django_db(transaction=True)
def test_a_regrade_is_queued_for_the_worker_and_the_dashboard_shows_it_done(
        settings, client, lab_cloud, clean_sandbox, instructor, classroom, student,
        django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    clean_sandbox(student)
    assignment = assignment_create(classroom=classroom, title="Orders", pattern="rest-api")
    assert lab_work_check(assignment=assignment, student=student).score == 100
    assignment_checks_update(assignment=assignment, checks=[
        {"id": "many", "kind": "item_count", "title": "Ten orders", "table": "OrdersTable",
         "min": 10}])
    settings.TASKS = DB_TASKS
    client.force_login(instructor)
    url = f"/classes/{classroom.pk}/a/{assignment.pk}/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url + "regrade/")
    assert response.status_code == 302
    assert "Re-grade queued" in client.get(response["Location"]).content.decode()
    regrade = Regrade.objects.get()
    assert (regrade.state, regrade.requested_by) == (Regrade.QUEUED, instructor)
    assert Submission.objects.filter(student=student).count() == 1  # nothing graded yet
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "classrooms.regrades.assignment_regrade_run"
    assert queued.args_kwargs["kwargs"] == {"regrade_id": regrade.pk}
    assert "Re-grade queued" in _dashboard(client, assignment)

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")

    regrade.refresh_from_db()
    assert (regrade.state, regrade.regraded) == (Regrade.DONE, 1)
    assert "Re-grade done" in _dashboard(client, assignment)
    assert "1 student re-graded" in _dashboard(client, assignment)
    latest = Submission.objects.filter(student=student).first()
    assert latest.score == 50 and latest.results[-1]["id"] == "many"


def test_one_regrade_at_a_time_and_none_for_a_quiz(
        client, instructor, classroom, orders_lab, django_capture_on_commit_callbacks):
    client.force_login(instructor)
    url = f"/classes/{classroom.pk}/a/{orders_lab.pk}/regrade/"
    with django_capture_on_commit_callbacks(execute=False):
        client.post(url)
    assert Regrade.objects.get().state == Regrade.QUEUED
    page = client.get(client.post(url)["Location"]).content.decode()
    assert ALREADY_QUEUED.format(state="queued") in page
    assert Regrade.objects.count() == 1
    # One whose worker died long ago does not block the next.
    Regrade.objects.update(state=Regrade.RUNNING,
                           queued_at=timezone.now() - STALE_AFTER - timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=False):
        client.post(url)
    assert Regrade.objects.count() == 2

    from quizzes import bank
    from quizzes.store import bank_store

    options = tuple(bank.Option(text=f"o{n}", correct=n == 0, why="w") for n in range(4))
    bank_store(questions=[bank.Question(id="q1", type="single", stem="Q?", options=options,
                                        domain="cost")])
    quiz = assignment_create(classroom=classroom, title="Quiz", kind=Assignment.QUIZ,
                             question_ids=["q1"])
    response = client.post(f"/classes/{classroom.pk}/a/{quiz.pk}/regrade/")
    assert escape(NOT_A_LAB) in client.get(response["Location"]).content.decode()
    assert not quiz.regrades.exists()


def test_a_ta_may_queue_a_regrade(client, ta, classroom, orders_lab,
                                  django_capture_on_commit_callbacks):
    client.force_login(ta)
    with django_capture_on_commit_callbacks(execute=True):  # the immediate test backend
        client.post(f"/classes/{classroom.pk}/a/{orders_lab.pk}/regrade/")
    assert Regrade.objects.get().state == Regrade.DONE  # nobody had handed anything in


def test_last_active_is_the_latest_run_visit_or_submission(client, instructor, classroom,
                                                           orders_lab, student, other_student):
    now = timezone.now()
    Submission.objects.create(assignment=orders_lab, student=student, status=Submission.FAILED,
                              score=0, at=now - timedelta(hours=3))
    run = run_record_save(learner=learner_for_user(student), pattern="rest-api",
                          document={"scenario": "create-then-get", "ok": True})
    RunRecord.objects.filter(pk=run.pk).update(created=now - timedelta(hours=1))
    # A run of another pattern is not work on this lab.
    run_record_save(learner=learner_for_user(other_student), pattern="async-queue",
                    document={"scenario": "x", "ok": True})
    active = last_active(assignment=orders_lab, students=[student, other_student])
    assert active == {student.pk: now - timedelta(hours=1)}

    client.force_login(other_student)
    client.get(f"/classes/{classroom.pk}/a/{orders_lab.pk}/")
    visit = AssignmentVisit.objects.get(student=other_student)
    client.force_login(instructor)
    grid = _dashboard(client, orders_lab)
    assert (now - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M") in grid
    assert visit.at.strftime("%Y-%m-%d %H:%M") in grid


# Changing a lab's checks from the dashboard (then re-grading applies them).

MANY = "- id: many\n  kind: item_count\n  title: Ten orders\n  table: OrdersTable\n  min: 10\n"


def test_the_instructor_edits_the_checks_on_the_dashboard(client, instructor, orders_lab):
    client.force_login(instructor)
    base = f"/classes/{orders_lab.classroom_id}/a/{orders_lab.pk}/"
    page = client.get(base + "dashboard/").content.decode()
    assert 'id="checks"' in page and f"id: {orders_lab.checks[0]['id']}" in page
    response = client.post(base + "checks/", {"checks": MANY})
    assert response.status_code == 302
    orders_lab.refresh_from_db()
    assert orders_lab.checks == [{"id": "many", "kind": "item_count", "title": "Ten orders",
                                  "table": "OrdersTable", "min": 10}]
    assert "Checks saved. Re-grade everyone" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize("text, shown", [
    (MANY.replace("OrdersTable", "NoSuchTable"), "NoSuchTable"),
    ("- id: [unclosed", "The checks are not a YAML list of checks"),
    ("just words", "not a list of mappings"),
])
def test_checks_that_cannot_run_are_refused_where_they_were_typed(client, instructor,
                                                                  orders_lab, text, shown):
    before = list(orders_lab.checks)
    client.force_login(instructor)
    response = client.post(
        f"/classes/{orders_lab.classroom_id}/a/{orders_lab.pk}/checks/", {"checks": text})
    html = response.content.decode()
    assert response.status_code == 400
    alert = html.split('role="alert"', 1)[1].split("</div>", 1)[0]
    assert shown in alert and "The checks were not changed." in alert
    orders_lab.refresh_from_db()
    assert orders_lab.checks == before


def test_only_the_instructor_may_edit_checks(client, ta, student, stranger, other_instructor,
                                             orders_lab):
    url = f"/classes/{orders_lab.classroom_id}/a/{orders_lab.pk}/"
    before = list(orders_lab.checks)
    for user in (ta, student, stranger, other_instructor):
        client.force_login(user)
        assert client.post(url + "checks/", {"checks": MANY}).status_code == 404, user.username
    client.force_login(ta)
    assert 'id="checks"' not in client.get(url + "dashboard/").content.decode()
    client.logout()
    assert client.post(url + "checks/", {"checks": MANY})["Location"].startswith(
        "/accounts/login/")
    orders_lab.refresh_from_db()
    assert orders_lab.checks == before


def test_a_quiz_has_no_checks_to_edit(client, instructor, classroom):
    from quizzes import bank
    from quizzes.store import bank_store

    options = tuple(bank.Option(text=f"o{n}", correct=n == 0, why="w") for n in range(4))
    bank_store(questions=[
        bank.Question(id=f"q-{s}", type="single", stem="Q?", options=options, domain="cost",
                      services=(s,)) for s in ("sqs", "sns", "sqs-dlq")])
    client.force_login(instructor)
    response = client.post(f"/classes/{classroom.pk}/assignments/new/", {
        "title": "Queues", "kind": "quiz", "question_service": "sqs", "attempts_allowed": 1,
        "show_answers": "at_once", "late_policy": "refuse", "late_penalty_percent": 0})
    quiz = Assignment.objects.get(title="Queues")
    assert quiz.question_ids == ["q-sqs"]  # by topic: the service tag, exactly
    response = client.post(f"/classes/{classroom.pk}/a/{quiz.pk}/checks/", {"checks": MANY})
    assert escape(NOT_A_LAB) in client.get(response["Location"]).content.decode()
    quiz.refresh_from_db()
    assert quiz.checks == []
