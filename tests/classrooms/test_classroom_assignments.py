"""Assignments: validation on save, checks as data, due dates, late work, hot start."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.tasks.signals import task_enqueued
from django.utils import timezone

from classrooms.assignments import (
    DUE_BEFORE_OPENING,
    LATE_REFUSED,
    assignment_create,
    due_for,
    extension_grant,
    submission_timing,
)
from classrooms.checks import UNKNOWN_RESOURCE, CheckError, checks_for_pattern, checks_validate
from classrooms.models import Assignment
from classrooms.services import classroom_join
from patterns.catalog import catalog, pattern_get


def test_every_checks_file_fits_its_pattern():
    with_checks = [p for p in catalog().values() if (p.folder / "checks.yaml").exists()]
    assert {"rest-api", "async-queue"} <= {p.slug for p in with_checks}
    for pattern in with_checks:
        checks = checks_for_pattern(pattern=pattern)
        assert checks, pattern.slug
        checks_validate(pattern=pattern, checks=checks)


def test_a_lab_gets_the_patterns_default_scenario_and_checks(classroom):
    lab = assignment_create(classroom=classroom, title="Queues", pattern="async-queue")
    assert lab.scenarios == ["enqueue-and-process"]
    assert [c["id"] for c in lab.checks] == ["poison-in-dlq"]


def test_a_due_date_before_the_opening_is_refused(classroom):
    now = timezone.now()
    with pytest.raises(ValidationError) as e:
        assignment_create(classroom=classroom, title="Late", pattern="rest-api",
                          opens_at=now, due_at=now - timedelta(hours=1))
    assert DUE_BEFORE_OPENING in e.value.messages
    assert not Assignment.objects.exists()


def test_a_check_naming_a_resource_the_pattern_lacks_is_refused_on_save(classroom):
    check = {"id": "dlq", "kind": "queue_has_messages", "title": "DLQ", "queue": "NoSuchQueue"}
    with pytest.raises(ValidationError) as e:
        assignment_create(classroom=classroom, title="Bad", pattern="rest-api", checks=[check])
    assert e.value.messages == [UNKNOWN_RESOURCE.format(id="dlq", resource="NoSuchQueue")]
    assert not Assignment.objects.exists()


@pytest.mark.parametrize("check, problem", [
    ({"id": "x", "kind": "teleport", "title": "?"}, "unknown kind 'teleport'"),
    ({"id": "x", "kind": "reserved_concurrency", "title": "?", "function": "GetOrderFunction"},
     "needs 'value'"),
    ({"id": "x", "kind": "scenario_passes", "title": "?", "scenario": "nope"},
     "scenario 'nope'"),
])
def test_malformed_checks_are_named(check, problem):
    with pytest.raises(CheckError) as e:
        checks_validate(pattern=pattern_get("rest-api"), checks=[check])
    assert problem in str(e.value)


def test_an_unknown_scenario_is_refused(classroom):
    with pytest.raises(ValidationError) as e:
        assignment_create(classroom=classroom, title="x", pattern="rest-api", scenarios=["nope"])
    assert "The pattern 'rest-api' has no scenario 'nope'." in e.value.messages


def test_late_work_is_refused_or_penalised_and_an_extension_moves_the_due_date(
        classroom, student):
    now = timezone.now()
    refuse = assignment_create(classroom=classroom, title="r", pattern="rest-api",
                               opens_at=now - timedelta(days=2), due_at=now - timedelta(days=1))
    with pytest.raises(ValidationError) as e:
        submission_timing(assignment=refuse, student=student)
    assert e.value.messages == [LATE_REFUSED]
    extension_grant(assignment=refuse, student=student, due_at=now + timedelta(days=1))
    assert due_for(assignment=refuse, student=student) == now + timedelta(days=1)
    assert submission_timing(assignment=refuse, student=student).late is False
    penalty = assignment_create(classroom=classroom, title="p", pattern="rest-api",
                                opens_at=now - timedelta(days=2), due_at=now - timedelta(days=1),
                                late_policy=Assignment.PENALTY, late_penalty_percent=20)
    timing = submission_timing(assignment=penalty, student=student)
    assert (timing.late, timing.penalty_percent) == (True, 20)


def test_work_before_the_opening_is_refused(classroom, student):
    later = assignment_create(classroom=classroom, title="soon", pattern="rest-api",
                              opens_at=timezone.now() + timedelta(days=1))
    with pytest.raises(ValidationError):
        submission_timing(assignment=later, student=student)


@pytest.fixture
def enqueued():
    found = []

    def record(sender, task_result, **kwargs):
        found.append(task_result.kwargs)
    task_enqueued.connect(record)
    yield found
    task_enqueued.disconnect(record)


def test_hot_start_queues_a_deploy_per_student_and_for_one_who_joins_later(
        classroom, student, other_student, make_user, enqueued,
        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assignment_create(classroom=classroom, title="Queues", pattern="async-queue")
    assert {(e["learner"], e["slug"]) for e in enqueued} == {
        (f"user-{student.pk}", "async-queue"), (f"user-{other_student.pk}", "async-queue")}
    enqueued.clear()
    late = make_user("late")
    with django_capture_on_commit_callbacks(execute=True):
        classroom_join(user=late, code=classroom.join_code)
    assert enqueued == [{"learner": f"user-{late.pk}", "slug": "async-queue"}]


def test_a_quiz_needs_known_questions(classroom):
    with pytest.raises(ValidationError) as e:
        assignment_create(classroom=classroom, title="q", kind=Assignment.QUIZ,
                          question_ids=["no-such-question"])
    assert "No question with the id(s): no-such-question." in e.value.messages


def test_a_lab_opening_later_is_queued_to_deploy_at_its_opening(
        settings, classroom, student, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend",
                                  "QUEUES": ["default"]}}
    opens = timezone.now() + timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        assignment_create(classroom=classroom, title="Later", pattern="rest-api",
                          opens_at=opens)
    queued = DBTaskResult.objects.get()
    assert queued.run_after == opens
    assert queued.args_kwargs["kwargs"] == {"learner": f"user-{student.pk}", "slug": "rest-api"}
