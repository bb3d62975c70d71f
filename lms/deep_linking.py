"""Deep linking: the instructor picks an assignment of the class (or makes one from a
pattern) and the LMS gets a signed response placing a link to it, with a gradebook column."""

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from lti_tool.models import LtiLaunch
from pylti1p3.contrib.django import DjangoMessageLaunch
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.exception import LtiException
from pylti1p3.lineitem import LineItem

from classrooms.assignments import assignment_create
from classrooms.models import Assignment, Classroom
from patterns.catalog import pattern_get

from .launch import LabToolConfig
from .models import LaunchValue, LmsClass
from .roles import INSTRUCTOR, TA, lab_role
from .storage import DatabaseLaunchStorage

DL_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"

NO_SUCH_ASSIGNMENT = "Pick one of this class's assignments."
NO_SUCH_PATTERN = "No pattern {slug!r}: pick one from the list."


def deep_link_assignment(*, classroom: Classroom, assignment_id: str = "",
                         pattern: str = "", title: str = "") -> Assignment:
    """The assignment picked, or a new lab made from a pattern."""
    if pattern:
        if pattern_get(pattern) is None:
            raise ValidationError(NO_SUCH_PATTERN.format(slug=pattern))
        return assignment_create(classroom=classroom, title=title, pattern=pattern)
    assignment = classroom.assignments.filter(pk=int(assignment_id)).first() \
        if str(assignment_id).isdigit() else None
    if assignment is None:
        raise ValidationError(NO_SUCH_ASSIGNMENT)
    return assignment


def deep_link_launch(*, request, launch_id: str) -> LtiLaunch | None:
    """The deep-linking launch an instructor or TA made, from its launch id, if its course
    has a class; None for anything else (unknown or used id, another kind of launch)."""
    if not launch_id.startswith("lti1p3-launch-"):
        return None
    try:
        message_launch = DjangoMessageLaunch.from_cache(
            launch_id, request, LabToolConfig(), launch_data_storage=DatabaseLaunchStorage())
    except LtiException:
        return None
    lti_launch = LtiLaunch(message_launch)
    if not lti_launch.is_deep_link_launch or lab_role(roles=lti_launch.roles_claim) not in (
            INSTRUCTOR, TA):
        return None
    if not LmsClass.objects.filter(context__deployment=lti_launch.deployment,
                                   context__id_on_platform=lti_launch.context_claim["id"]
                                   ).exists():
        return None
    return lti_launch


def deep_link_launch_forget(*, launch_id: str) -> None:
    """A deep-linking request is answered once."""
    LaunchValue.objects.filter(key=launch_id).delete()


def deep_link_return_origin(*, lti_launch: LtiLaunch) -> str:
    parts = urlsplit(_settings(lti_launch)["deep_link_return_url"])
    return f"{parts.scheme}://{parts.netloc}"


def _settings(lti_launch: LtiLaunch) -> dict:
    return lti_launch.get_claim(DL_SETTINGS) or {}


def deep_link_form(*, lti_launch: LtiLaunch, assignment: Assignment, launch_url: str) -> dict:
    """Where the browser posts the signed LtiDeepLinkingResponse, and the JWT it posts."""
    line_item = (LineItem().set_label(assignment.title).set_score_maximum(100)
                 .set_resource_id(str(assignment.pk)).set_tag("serverless-lab"))
    resource = (DeepLinkResource().set_url(launch_url).set_title(assignment.title)
                .set_custom_params({"assignment_id": str(assignment.pk)})
                .set_lineitem(line_item))
    deep_link = lti_launch.get_message_launch().get_deep_link()
    return {"action": _settings(lti_launch)["deep_link_return_url"],
            "jwt": deep_link.get_response_jwt([resource])}
