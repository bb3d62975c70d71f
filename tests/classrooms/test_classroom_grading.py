"""Check my work against a real lab cloud: scenarios and checks in the student's own sandbox,
re-grading after a check changes, the instructor's read-only view and the sandbox reset."""

from datetime import timedelta

import pytest
from django.utils import timezone

from classrooms.assignments import assignment_checks_update, assignment_create
from classrooms.grading import assignment_regrade, lab_work_check
from classrooms.models import Assignment, Submission, ViewLog
from patterns.lab import learner_for_user
from serverless_lab.cloud.clients import client as aws_client


@pytest.fixture(autouse=True)
def fresh_sandboxes(request, clean_sandbox):
    for name in ("student", "other_student"):
        if name in request.fixturenames:
            clean_sandbox(request.getfixturevalue(name))


CONCURRENCY = {"id": "concurrency", "kind": "reserved_concurrency", "title": "Concurrency 5",
               "function": "CreateOrderFunction", "value": 5, "hint": "put-function-concurrency"}


def _student_lambda(lab, student):
    found = lab.sandbox(learner_for_user(student))
    return aws_client("lambda", endpoint_url=found["endpoint_url"],
                      credentials=found["credentials"], region=found["region"])


def test_check_my_work_passes_keeps_the_trace_and_shows_on_the_dashboard(
        client, lab_cloud, instructor, classroom, student):
    assignment = assignment_create(classroom=classroom, title="Orders", pattern="rest-api")
    client.force_login(student)
    url = f"/classes/{classroom.pk}/a/{assignment.pk}/"
    fragment = client.post(url + "check/", headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<section id="results"')
    assert "Result: Passed, score 100" in fragment
    submission = Submission.objects.get(student=student)
    assert submission.status == Submission.PASSED and not submission.late
    assert [r["id"] for r in submission.results] == ["scenario:create-then-get", "orders-stored"]
    assert submission.trace[0]["scenario"] == "create-then-get" and submission.trace[0]["ok"]
    assert "OrdersTable holds 2 item(s); at least 1 wanted." in fragment
    client.force_login(instructor)
    grid = client.get(url + "dashboard/", headers={"HX-Request": "true"}).content.decode()
    assert grid.count('class="cell-passed"') == 2


def test_a_failing_check_says_why_and_a_regrade_after_the_fix_passes(
        lab, lab_cloud, classroom, student):
    assignment = assignment_create(classroom=classroom, title="Orders", pattern="rest-api",
                                   checks=[CONCURRENCY])
    first = lab_work_check(assignment=assignment, student=student)
    result = next(r for r in first.results if r["id"] == "concurrency")
    assert first.status == Submission.FAILED and first.score == 50
    assert result == {"id": "concurrency", "title": "Concurrency 5", "passed": False,
                      "message": "CreateOrderFunction has reserved concurrency none; 5 wanted.",
                      "hint": "put-function-concurrency", "error_type": "CheckFailed",
                      "where": ""}
    # The student fixes it in their own account; the instructor re-grades.
    functions = _student_lambda(lab, student)
    name = next(f["FunctionName"] for f in functions.list_functions()["Functions"]
                if "CreateOrderFunction" in f["FunctionName"])
    functions.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=5)
    assert assignment_regrade(assignment=assignment) == 1
    latest = Submission.objects.filter(student=student).first()
    assert latest.pk != first.pk and latest.score == 100
    assert latest.trace == first.trace  # graded on the same runs


def test_an_instructor_changes_a_check_and_regrades_everyone(lab_cloud, classroom, student):
    assignment = assignment_create(classroom=classroom, title="Orders", pattern="rest-api")
    lab_work_check(assignment=assignment, student=student)
    assignment_checks_update(assignment=assignment, checks=[
        {"id": "many", "kind": "item_count", "title": "Ten orders", "table": "OrdersTable",
         "min": 10}])
    assignment_regrade(assignment=assignment)
    latest = Submission.objects.filter(student=student).first()
    assert latest.results[-1]["message"] == ("OrdersTable holds 2 item(s); at least 10 "
                                             "wanted.")
    assert latest.score == 50


def test_late_work_under_a_penalty_is_marked_and_scored_down(lab_cloud, classroom, student):
    now = timezone.now()
    assignment = assignment_create(
        classroom=classroom, title="Orders", pattern="rest-api",
        opens_at=now - timedelta(days=2), due_at=now - timedelta(days=1),
        late_policy=Assignment.PENALTY, late_penalty_percent=30)
    submission = lab_work_check(assignment=assignment, student=student)
    assert submission.late and submission.score == 70


def test_the_poison_message_check_reads_the_students_dead_letter_queue(
        lab_cloud, classroom, student):
    assignment = assignment_create(classroom=classroom, title="Queues", pattern="async-queue",
                                   scenarios=["poison-message"])
    submission = lab_work_check(assignment=assignment, student=student)
    by_id = {r["id"]: r for r in submission.results}
    assert by_id["poison-in-dlq"]["passed"], by_id["poison-in-dlq"]
    assert by_id["poison-in-dlq"]["message"].startswith("OrdersDeadLetterQueue holds 1 message")
    assert by_id["scenario:poison-message"]["passed"]


def test_staff_see_the_sandbox_read_only_and_a_reset_is_logged_and_told(
        client, lab, lab_cloud, instructor, classroom, student):
    assignment = assignment_create(classroom=classroom, title="Orders", pattern="rest-api")
    lab_work_check(assignment=assignment, student=student)
    client.force_login(instructor)
    work_url = f"/classes/{classroom.pk}/a/{assignment.pk}/students/{student.pk}/"
    page = client.get(work_url).content.decode()
    assert "OrdersTable" in page and "2 item(s)" in page
    assert "create-then-get: passed" in page
    refused = client.post(work_url + "reset/", follow=True).content.decode()
    assert "Tick the box" in refused
    assert not ViewLog.objects.filter(action=ViewLog.RESET).exists()
    client.post(work_url + "reset/", {"confirm": "yes"})
    assert ViewLog.objects.filter(viewer=instructor, student=student,
                                  action=ViewLog.RESET).count() == 1
    assert "no rest-api stack" in client.get(work_url).content.decode()
    client.force_login(student)
    notice = client.get(f"/classes/{classroom.pk}/").content.decode()
    assert "Notice: ines reset your sandbox" in notice
    assert "ines viewed your work" in notice


@pytest.mark.parametrize("htmx", [True, False])
def test_check_my_work_refused_when_late_says_so_where_the_student_is(
        client, classroom, student, htmx):
    now = timezone.now()
    assignment = assignment_create(classroom=classroom, title="Orders", pattern="rest-api",
                                   opens_at=now - timedelta(days=2),
                                   due_at=now - timedelta(days=1))
    client.force_login(student)
    url = f"/classes/{classroom.pk}/a/{assignment.pk}/check/"
    if htmx:
        page = client.post(url, headers={"HX-Request": "true"}).content.decode()
    else:
        page = client.post(url, follow=True).content.decode()
    assert "does not accept late work" in page
    assert not Submission.objects.exists()
