"""The pattern page's side panel: a signed-in student's lab assignments on this pattern, with
their tasks and latest results, beside the Run buttons; on a fix-it page, their fix-it lab
assignments on that fix-it, with Hand in."""

from django import template
from django.utils import timezone

from ..dashboard import PASSED
from ..fixit_catalog import fixit_tasks
from ..grading import lab_tasks, submission_latest
from ..models import Assignment, Membership

register = template.Library()


@register.inclusion_tag("classrooms/_pattern_tasks.html", takes_context=True)
def assignment_tasks(context, slug: str, fixit: str = "") -> dict:
    """The student's open labs on the pattern `slug`; with `fixit`, their fix-it labs on
    that fix-it instead (the fix-it page: its checks, and Hand in)."""
    user = context["request"].user
    if not user.is_authenticated:
        return {"labs": []}
    kind = {"kind": Assignment.FIX, "fixit": fixit} if fixit else {"kind": Assignment.LAB}
    assignments = Assignment.objects.filter(
        pattern=slug, opens_at__lte=timezone.now(), **kind,
        classroom__memberships__user=user, classroom__memberships__role=Membership.STUDENT,
    ).select_related("classroom")
    labs = []
    for assignment in assignments:
        latest = submission_latest(assignment=assignment, student=user)
        results = {r["id"]: r for r in latest.results} if latest else {}
        tasks = [{**t, "state": (PASSED if results.get(t["id"], {}).get("passed")
                                 else "failed" if t["id"] in results else "")}
                 for t in (fixit_tasks(assignment=assignment) if fixit
                           else lab_tasks(assignment=assignment))]
        labs.append({"assignment": assignment, "tasks": tasks, "latest": latest})
    return {"labs": labs, "csrf_token": context.get("csrf_token")}
