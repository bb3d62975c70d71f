"""Re-grading everyone after a check changed: queued from the dashboard, run by the task
worker (`manage.py db_worker`), never in the request: a class of 30 sandboxes takes a while."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.tasks import task
from django.utils import timezone

from .models import Assignment, Regrade

NOT_A_LAB = ("Only a lab's work is re-graded: a quiz is graded when it is submitted, a fix-it "
             "lab when it is handed in.")
ALREADY_QUEUED = "A re-grade is already {state}: it will use the checks as they are now."
# A re-grade still queued or running after this long lost its worker: another may be queued.
STALE_AFTER = timedelta(hours=1)


def regrade_queue(*, assignment: Assignment, user) -> Regrade:
    """Queue a re-grade (once the request's transaction commits); one at a time."""
    if assignment.kind != Assignment.LAB:
        raise ValidationError(NOT_A_LAB)
    pending = assignment.regrades.filter(state__in=[Regrade.QUEUED, Regrade.RUNNING],
                                         queued_at__gte=timezone.now() - STALE_AFTER).first()
    if pending is not None:
        raise ValidationError(ALREADY_QUEUED.format(state=pending.state))
    regrade = Regrade.objects.create(assignment=assignment, requested_by=user)
    transaction.on_commit(lambda: assignment_regrade_run.enqueue(regrade_id=regrade.pk))
    return regrade


@task
def assignment_regrade_run(*, regrade_id: int) -> dict:
    """The task the worker runs: re-grade everyone's latest work of a lab with its current
    checks."""
    regrade = regrade_run(regrade_id=regrade_id)
    return {"regrade": regrade_id, "state": regrade.state, "regraded": regrade.regraded}


def regrade_run(*, regrade_id: int) -> Regrade:
    """The worker's side: re-grade every student's latest work, recording how it went."""
    from .grading import assignment_regrade

    regrade = Regrade.objects.select_related("assignment").get(pk=regrade_id)
    Regrade.objects.filter(pk=regrade.pk).update(state=Regrade.RUNNING)
    try:
        count = assignment_regrade(assignment=regrade.assignment)
    except Exception as e:
        regrade.state, regrade.error = Regrade.FAILED, f"{type(e).__name__}: {e}"
        regrade.finished_at = timezone.now()
        regrade.save()
        raise
    regrade.state, regrade.regraded, regrade.finished_at = Regrade.DONE, count, timezone.now()
    regrade.save()
    return regrade


def regrade_latest(*, assignment: Assignment) -> Regrade | None:
    return assignment.regrades.first()
