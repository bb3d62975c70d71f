"""The pattern page's side panel: a signed-in student's lab assignments on this pattern, with
their tasks and latest results, beside the Run buttons."""

from django import template
from django.utils import timezone

from ..dashboard import PASSED
from ..grading import lab_tasks, submission_latest
from ..models import Assignment, Membership

register = template.Library()


@register.inclusion_tag("classrooms/_pattern_tasks.html", takes_context=True)
def assignment_tasks(context, slug: str) -> dict:
    user = context["request"].user
    if not user.is_authenticated:
        return {"labs": []}
    assignments = Assignment.objects.filter(
        kind=Assignment.LAB, pattern=slug, opens_at__lte=timezone.now(),
        classroom__memberships__user=user, classroom__memberships__role=Membership.STUDENT,
    ).select_related("classroom")
    labs = []
    for assignment in assignments:
        latest = submission_latest(assignment=assignment, student=user)
        results = {r["id"]: r for r in latest.results} if latest else {}
        tasks = [{**t, "state": (PASSED if results.get(t["id"], {}).get("passed")
                                 else "failed" if t["id"] in results else "")}
                 for t in lab_tasks(assignment=assignment)]
        labs.append({"assignment": assignment, "tasks": tasks, "latest": latest})
    return {"labs": labs, "csrf_token": context.get("csrf_token")}
