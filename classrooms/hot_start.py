"""Hot start: deploy a lab's pattern into each student's sandbox before the class needs it.

On creation, an open lab is queued for every enrolled student; a lab opening later is
queued to run at its opening when the task backend can defer (django-tasks-db can); a
student who joins gets the class's open labs queued on joining.
"""

from django.tasks import default_task_backend
from django.utils import timezone

from patterns.lab import learner_for_user

from .models import Assignment, Membership
from .tasks import sandbox_deploy


def _enqueue(*, assignment: Assignment, user) -> None:
    deploy = sandbox_deploy
    if assignment.opens_at > timezone.now():
        if not default_task_backend.supports_defer:
            return
        deploy = sandbox_deploy.using(run_after=assignment.opens_at)
    deploy.enqueue(learner=learner_for_user(user), slug=assignment.pattern)


def hot_start_assignment(*, assignment: Assignment) -> int:
    """Queue a deploy for each student of the class; returns how many were queued."""
    if assignment.kind != Assignment.LAB:
        return 0
    students = [m.user for m in assignment.classroom.memberships.filter(
        role=Membership.STUDENT).select_related("user")]
    for user in students:
        _enqueue(assignment=assignment, user=user)
    return len(students)


def hot_start_student(*, membership: Membership) -> int:
    """Queue deploys of the class's labs (one per pattern) for a student who just joined."""
    labs = membership.classroom.assignments.filter(kind=Assignment.LAB)
    queued = set()
    for assignment in labs:
        if assignment.pattern not in queued:
            _enqueue(assignment=assignment, user=membership.user)
            queued.add(assignment.pattern)
    return len(queued)
