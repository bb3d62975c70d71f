"""Names and Role Provisioning: the instructor brings the class roster from the LMS.
Members are matched by (issuer, subject) like launches; learners join as students, staff
as TAs; members the LMS marks inactive are taken out of the class."""

from dataclasses import dataclass

from django.utils import timezone
from lti_tool.services.nrps import fetch_member_data
from pylti1p3.exception import LtiException
from requests import RequestException

from classrooms.models import Membership
from classrooms.services import member_remove

from .launch import LaunchRefused, member_place, user_for_lti_user
from .models import LmsClass
from .roles import STUDENT, lab_role

NO_ROSTER_SERVICE = "The LMS did not offer its roster service for this course."
ROSTER_UNREACHABLE = "The LMS roster could not be read: {reason}"


class RosterSyncError(Exception):
    pass


@dataclass
class RosterSync:
    added: int
    removed: int
    skipped: list[str]


def roster_sync(*, lms_class: LmsClass) -> RosterSync:
    context = lms_class.context
    if not context.memberships_url:
        raise RosterSyncError(NO_ROSTER_SERVICE)
    try:
        members = fetch_member_data(context)
    except (LtiException, RequestException) as e:
        raise RosterSyncError(ROSTER_UNREACHABLE.format(reason=str(e)[:200])) from None
    context.update_memberships(members)
    classroom, added, removed, skipped = lms_class.classroom, 0, 0, []
    registration = context.deployment.registration
    for member in members:
        lti_user = registration.users.get(sub=member["user_id"])
        role = lab_role(roles=member.get("roles", []))
        if role is None:
            skipped.append(member.get("name") or member["user_id"])
            continue
        user = user_for_lti_user(lti_user=lti_user)
        present = Membership.objects.filter(classroom=classroom, user=user).exists()
        if member.get("status", "Active") != "Active":
            if present and role == STUDENT:
                member_remove(classroom=classroom, user_id=user.pk)
                removed += 1
            continue
        if present or classroom.instructor_id == user.pk:
            continue
        try:
            member_place(classroom=classroom, user=user, role=role)
            added += 1
        except LaunchRefused:
            skipped.append(member.get("name") or member["user_id"])
    lms_class.roster_synced_at = timezone.now()
    lms_class.save(update_fields=["roster_synced_at"])
    return RosterSync(added=added, removed=removed, skipped=skipped)
