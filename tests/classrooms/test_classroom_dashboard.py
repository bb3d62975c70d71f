"""What the dashboard says about a failed run: the error type and where, summed per class."""

import pytest

from classrooms.assignments import assignment_create
from classrooms.dashboard import dashboard_grid
from classrooms.grading import run_failure
from classrooms.models import Submission

ACCESS_DENIED = {"errorType": "ClientError", "errorMessage": (
    "An error occurred (AccessDeniedException) when calling the PutItem operation: "
    "User is not authorized to perform: dynamodb:PutItem")}


def _run(*events, error=None, expectations=()):
    return {"scenario": "s", "ok": False, "error": error, "expectations": list(expectations),
            "steps": [{"name": "one", "events": list(events)}]}


@pytest.mark.parametrize("run, expected", [
    (_run({"type": "api_call", "service": "dynamodb", "operation": "PutItem", "status": 400},
          {"type": "invocation", "function_name": "CreateOrderFunction",
           "error": ACCESS_DENIED}),
     ("AccessDeniedException", "DynamoDB PutItem")),
    (_run({"type": "invocation", "function_name": "CreateOrderFunction",
           "error": {"errorType": "RuntimeError", "errorMessage": "boom"}}),
     ("RuntimeError", "Lambda CreateOrderFunction")),
    (_run({"type": "api_call", "service": "sqs", "operation": "SendMessage", "status": 403}),
     ("HTTP 403", "sqs SendMessage")),
    (_run(error="deploy failed: bad template"), ("DeployFailed", "")),
    (_run(expectations=[{"step": "one", "check": "status", "passed": False}]),
     ("ExpectationFailed", "one: status")),
])
def test_a_failed_runs_error_type_and_where(run, expected):
    assert run_failure(run) == expected


def _failed(assignment, student, error_type, where):
    Submission.objects.create(
        assignment=assignment, student=student, status=Submission.FAILED, score=0,
        results=[{"id": "scenario:create-then-get", "title": "t", "passed": False,
                  "message": "m", "hint": "", "error_type": error_type, "where": where}])


def test_the_class_summary_counts_students_per_failure(classroom, student, other_student,
                                                       make_user):
    from classrooms.services import classroom_join

    third = make_user("tom")
    classroom_join(user=third, code=classroom.join_code)
    lab = assignment_create(classroom=classroom, title="Orders", pattern="rest-api", checks=[])
    _failed(lab, student, "AccessDeniedException", "DynamoDB PutItem")
    _failed(lab, other_student, "AccessDeniedException", "DynamoDB PutItem")
    _failed(lab, third, "RuntimeError", "Lambda CreateOrderFunction")
    grid = dashboard_grid(assignment=lab)
    assert grid.summary == [
        "2 students: AccessDeniedException from DynamoDB PutItem "
        "(Scenario passes: Create two orders, then read the first)",
        "1 student: RuntimeError from Lambda CreateOrderFunction "
        "(Scenario passes: Create two orders, then read the first)"]


def test_cells_show_not_started_and_running(classroom, student, other_student):
    lab = assignment_create(classroom=classroom, title="Orders", pattern="rest-api")
    Submission.objects.create(assignment=lab, student=student)  # being checked right now
    rows = {r.student.username: [c.state for c in r.cells]
            for r in dashboard_grid(assignment=lab).rows}
    assert rows == {"sam": ["running", "running"], "olga": ["not-started", "not-started"]}
