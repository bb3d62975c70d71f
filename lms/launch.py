"""Accepting a launch from the LMS: the id_token checked (pylti1p3, keys from the
platform's JWKS), its nonce used up, then the user matched by (issuer, subject), signed
into the class the LMS course maps to, with the role the launch names.

Everything a refused launch would have written is rolled back by the caller's transaction.
"""

import hashlib
from dataclasses import dataclass

import jwt
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.text import slugify
from lti_tool.models import Key, LtiContext, LtiDeployment, LtiLaunch, LtiUser
from lti_tool.utils import DjangoToolConfig, sync_data_from_launch
from pylti1p3.contrib.django import DjangoMessageLaunch
from pylti1p3.deployment import Deployment
from pylti1p3.exception import LtiException

from classrooms.models import Assignment, Classroom, Membership
from classrooms.services import classroom_create, classroom_join, instructor_grant, ta_add

from .models import LmsClass, LmsLink
from .roles import INSTRUCTOR, STUDENT, TA, lab_role
from .storage import DatabaseLaunchStorage

# What each pylti1p3 refusal means to the person in front of the LMS (first match wins).
REFUSALS = [
    ("expired", "The launch has expired. Go back to your course and open the activity again."),
    ("State not found", "This launch did not start from your LMS's sign-in step, or took too "
                        "long. Go back to your course and open the activity again."),
    ("Missing state", "This launch did not start from your LMS's sign-in step."),
    ("Invalid Nonce", "This launch was not requested by this lab (its nonce does not match). "
                      "Go back to your course and open the activity again."),
    ("Registration not found", "This lab has no registration for that LMS and client id "
                               "(wrong audience). Ask your LMS admin to check the client id."),
    ("Client id not registered", "This lab has no registration for that LMS and client id "
                                 "(wrong audience). Ask your LMS admin to check the client id."),
    ("Unable to find deployment", "This LMS deployment is not registered with the lab. "
                                  "Ask your LMS admin to add its deployment id."),
    ("Signature verification failed", "The launch was not signed by your LMS's key."),
    ("Unable to find public key", "The launch was not signed by a key your LMS publishes."),
]
REFUSED_OTHER = "The launch could not be checked: {reason}"
REPLAYED = ("This launch was already used. Go back to your course and open the activity again "
            "(a launch works once).")
NO_ROLE = ("Your LMS sent no role the lab knows (Instructor, TeachingAssistant or Learner) "
           "for this course.")
CLASS_NOT_SET_UP = ("Your instructor has not opened the lab from this course yet: the class "
                    "is made on their first launch. Try again after they have.")
NOT_STAFF = "Only the course's instructors can add lab activities."


class LaunchRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _explain(error: Exception) -> str:
    text = str(error)
    for needle, message in REFUSALS:
        if needle.lower() in text.lower():
            return message
    return REFUSED_OTHER.format(reason=text)


class LabToolConfig(DjangoToolConfig):
    """django-lti's tool config, except that a deployment must be registered and active:
    django-lti would create an unknown one (inactive) on the spot."""

    def _active_deployment(self, iss, deployment_id, client_id=None):
        lookups = {"registration__issuer": iss, "registration__is_active": True,
                   "deployment_id": deployment_id, "is_active": True}
        if client_id is not None:
            lookups["registration__client_id"] = client_id
        self.deployment = LtiDeployment.objects.filter(**lookups).first()
        if self.deployment is None:
            return None
        return Deployment().set_deployment_id(deployment_id)

    def find_registration_by_params(self, iss, client_id, *args, **kwargs):
        if not Key.objects.active().exists():  # a registration made in the admin: sign with
            Key.objects.generate()  # a first key (the JWKS publishes it)
        return super().find_registration_by_params(iss, client_id, *args, **kwargs)

    def find_deployment(self, iss, deployment_id):
        return self._active_deployment(iss, deployment_id)

    def find_deployment_by_params(self, iss, deployment_id, client_id, *args, **kwargs):
        return self._active_deployment(iss, deployment_id, client_id)


def _unverified_nonce(request) -> str:
    try:
        body = jwt.decode(request.POST.get("id_token", ""), options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return ""
    return str(body.get("nonce", ""))


def launch_validate(*, request) -> LtiLaunch:
    """The checked launch, or LaunchRefused saying why in words the user can act on."""
    storage = DatabaseLaunchStorage()
    message_launch = DjangoMessageLaunch(request, LabToolConfig(), launch_data_storage=storage)
    try:
        message_launch.validate()
    except LtiException as e:
        if "Invalid Nonce" in str(e) and storage.nonce_was_used(_unverified_nonce(request)):
            raise LaunchRefused(REPLAYED) from None
        raise LaunchRefused(_explain(e)) from None
    if not storage.nonce_consume(message_launch.get_launch_data()["nonce"]):
        raise LaunchRefused(REPLAYED)
    return LtiLaunch(message_launch)


@dataclass
class LaunchResult:
    user: object
    classroom: Classroom
    role: str
    assignment: Assignment | None
    deep_linking: bool


def user_for_lti_user(*, lti_user: LtiUser):
    """The lab account of a platform user: matched by (registration's issuer, subject) only;
    the e-mail the LMS sends is kept for the gradebook but never used to match."""
    if lti_user.auth_user_id:
        return lti_user.auth_user
    base = slugify(lti_user.given_name or lti_user.name or "lms")[:20] or "lms"
    digest = hashlib.sha256(f"{lti_user.registration.issuer}|{lti_user.sub}".encode())
    user = get_user_model().objects.create_user(
        username=f"{base}-{digest.hexdigest()[:10]}", email=lti_user.email or "",
        first_name=(lti_user.given_name or "")[:150], last_name=(lti_user.family_name or "")[:150])
    user.set_unusable_password()
    user.save(update_fields=["password"])
    lti_user.auth_user = user
    lti_user.save(update_fields=["auth_user"])
    return user


def member_place(*, classroom: Classroom, user, role: str) -> None:
    """Put the user in the class with the role the LMS gives (never lowering a TA)."""
    if classroom.instructor_id == user.pk:
        return
    if role in (INSTRUCTOR, TA):  # a second instructor gets the staff view as a TA
        ta_add(classroom=classroom, username=user.username)
    elif not Membership.objects.filter(classroom=classroom, user=user).exists():
        try:
            classroom_join(user=user, code=classroom.join_code)
        except ValidationError as e:
            raise LaunchRefused(" ".join(e.messages)) from None


def class_for_context(*, context: LtiContext, user, role: str) -> Classroom:
    """The class the LMS course maps to: made on an instructor's first launch."""
    # Two first launches at once (two instructors) wait for each other here: one class.
    LtiContext.objects.select_for_update().filter(pk=context.pk).first()
    mapped = LmsClass.objects.filter(context=context).select_related("classroom").first()
    if mapped is None:
        if role != INSTRUCTOR:
            raise LaunchRefused(CLASS_NOT_SET_UP)
        instructor_grant(username=user.username)
        classroom = classroom_create(name=context.title or context.label or "LMS course",
                                     instructor=user)
        LmsClass.objects.create(context=context, classroom=classroom)
        return classroom
    member_place(classroom=mapped.classroom, user=user, role=role)
    return mapped.classroom


def _linked_assignment(*, lti_launch: LtiLaunch, classroom: Classroom) -> Assignment | None:
    """The assignment a deep-linked resource link points at (custom assignment_id), kept
    with the link's AGS line item so that scores can go back."""
    assignment_id = lti_launch.get_custom_claim("assignment_id")
    if not str(assignment_id or "").isdigit():
        return None
    assignment = classroom.assignments.filter(pk=int(assignment_id)).first()
    if assignment is None:
        return None
    ags = lti_launch.ags_claim or {}
    LmsLink.objects.update_or_create(
        resource_link=lti_launch.resource_link, defaults={
            "assignment": assignment, "lineitem_url": ags.get("lineitem", ""),
            "can_publish_scores": any(s.endswith("/scope/score") for s in ags.get("scope", []))})
    return assignment


def launch_accept(*, lti_launch: LtiLaunch) -> LaunchResult:
    """Record the launch (django-lti's users, contexts, memberships, links), then the lab's
    side: the account, the class, the role, and the assignment a placed link points at."""
    role = lab_role(roles=lti_launch.roles_claim)
    if role is None:
        raise LaunchRefused(NO_ROLE)
    deep_linking = lti_launch.is_deep_link_launch
    if deep_linking and role == STUDENT:
        raise LaunchRefused(NOT_STAFF)
    sync_data_from_launch(lti_launch)
    user = user_for_lti_user(lti_user=lti_launch.user)
    classroom = class_for_context(context=lti_launch.context, user=user, role=role)
    assignment = None
    if lti_launch.is_resource_launch:
        assignment = _linked_assignment(lti_launch=lti_launch, classroom=classroom)
    return LaunchResult(user=user, classroom=classroom, role=role, assignment=assignment,
                        deep_linking=deep_linking)
