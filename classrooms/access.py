"""Finding an assignment for the user asking, or 404: staff of its class, or a student in it."""

from django.http import Http404

from .models import Assignment, Membership
from .services import classroom_for_staff


def assignment_for_staff(*, user, classroom_id: int, assignment_id: int) -> Assignment:
    classroom = classroom_for_staff(user=user, classroom_id=classroom_id)
    assignment = classroom.assignments.filter(pk=assignment_id).first()
    if assignment is None:
        raise Http404("No such assignment")
    return assignment


def assignment_for_student(*, user, classroom_id: int, assignment_id: int) -> Assignment:
    assignment = Assignment.objects.filter(
        pk=assignment_id, classroom_id=classroom_id, classroom__memberships__user=user,
        classroom__memberships__role=Membership.STUDENT).select_related("classroom").first()
    if assignment is None:
        raise Http404("No such assignment")
    return assignment
