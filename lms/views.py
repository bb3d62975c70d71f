"""The LTI endpoints an LMS calls (login initiation, launch, JWKS), the deep-linking
picker, and the instructor's roster sync."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from pylti1p3.contrib.django import DjangoOIDCLogin
from pylti1p3.exception import OIDCException

from classrooms.services import classroom_for_instructor
from patterns.catalog import catalog

from .deep_linking import (
    deep_link_assignment,
    deep_link_form,
    deep_link_launch,
    deep_link_launch_forget,
    deep_link_return_origin,
)
from .launch import (
    LabToolConfig,
    LaunchRefused,
    launch_accept,
    launch_validate,
)
from .models import LmsClass
from .roles import STUDENT
from .roster import RosterSyncError, roster_sync
from .storage import DatabaseLaunchStorage

NO_DEEP_LINK_LAUNCH = ("This page opens from your LMS when you add the lab as an activity. "
                       "Start again from the LMS.")
LOGIN_REFUSED = "The LMS sign-in step was refused: {reason}"


def _refused(request, message: str, status: int = 403) -> HttpResponse:
    response = render(request, "lms/refused.html", {"message": message}, status=status)
    # Shown where the LMS framed the launch: a page with nothing to click may be framed.
    response._csp_config = {**settings.SECURE_CSP, "frame-ancestors": ["*"]}
    return response


@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def login_init(request):
    """OIDC third-party login: answers the LMS with a redirect to its auth endpoint."""
    launch_url = request.build_absolute_uri(reverse("lms:launch"))
    oidc = DjangoOIDCLogin(request, LabToolConfig(), launch_data_storage=DatabaseLaunchStorage())
    try:
        return oidc.redirect(launch_url)
    except OIDCException as e:
        return _refused(request, LOGIN_REFUSED.format(reason=e), status=400)


@csrf_exempt
@xframe_options_exempt
@require_POST
def launch(request):
    try:
        with transaction.atomic():
            lti_launch = launch_validate(request=request)
            result = launch_accept(lti_launch=lti_launch)
    except LaunchRefused as e:
        return _refused(request, e.message)
    login(request, result.user, backend="django.contrib.auth.backends.ModelBackend")
    classroom = result.classroom
    if result.deep_linking:
        return _picker(request, lti_launch=lti_launch, classroom=classroom)
    if result.assignment is not None:
        if result.role == STUDENT:
            return redirect("classrooms:assignment", classroom.pk, result.assignment.pk)
        return redirect("classrooms:dashboard", classroom.pk, result.assignment.pk)
    return redirect("classrooms:detail", classroom.pk)


def _picker(request, *, lti_launch, classroom, error: str = "") -> HttpResponse:
    response = render(request, "lms/deep_link.html", {
        "classroom": classroom, "error": error, "launch_id": lti_launch.get_launch_id(),
        "assignments": classroom.assignments.all(),
        "patterns": sorted(catalog().values(), key=lambda p: p.title)},
        status=400 if error else 200)
    return _framed_by_lms(response, lti_launch=lti_launch)


def _framed_by_lms(response, *, lti_launch, posts_to_lms: bool = False) -> HttpResponse:
    """LMSs show deep linking in a frame: let the LMS's own origin frame this page (and
    the response form post back to it); every other page keeps frame-ancestors 'none'."""
    origin = deep_link_return_origin(lti_launch=lti_launch)
    config = {**settings.SECURE_CSP, "frame-ancestors": [origin]}
    if posts_to_lms:
        config["form-action"] = [*settings.SECURE_CSP.get("form-action", []), origin]
    response._csp_config = config
    return response


@csrf_exempt  # posted from inside the LMS's frame, where the lab's cookies may not be sent:
@xframe_options_exempt  # the unguessable, single-use launch id stands in for the session
@require_POST
def deep_link(request):
    lti_launch = deep_link_launch(request=request, launch_id=request.POST.get("launch", ""))
    if lti_launch is None:
        return _refused(request, NO_DEEP_LINK_LAUNCH)
    classroom = LmsClass.objects.get(context=lti_launch.context).classroom
    try:
        with transaction.atomic():
            assignment = deep_link_assignment(
                classroom=classroom, assignment_id=request.POST.get("assignment", ""),
                pattern=request.POST.get("pattern", ""), title=request.POST.get("title", ""))
    except ValidationError as e:
        return _picker(request, lti_launch=lti_launch, classroom=classroom,
                       error=" ".join(e.messages))
    form = deep_link_form(lti_launch=lti_launch, assignment=assignment,
                          launch_url=request.build_absolute_uri(reverse("lms:launch")))
    deep_link_launch_forget(launch_id=lti_launch.get_launch_id())
    response = render(request, "lms/deep_link_response.html",
                      {"form": form, "assignment": assignment})
    return _framed_by_lms(response, lti_launch=lti_launch, posts_to_lms=True)


@login_required
@require_POST
def roster(request, classroom_id):
    classroom = classroom_for_instructor(user=request.user, classroom_id=classroom_id)
    lms_class = LmsClass.objects.filter(classroom=classroom).first()
    if lms_class is None:
        return _refused(request, "This class is not linked to an LMS course.", status=404)
    try:
        with transaction.atomic():
            result = roster_sync(lms_class=lms_class)
    except RosterSyncError as e:
        messages.error(request, str(e))
    else:
        messages.success(request, f"Roster synced from the LMS: {result.added} added, "
                                  f"{result.removed} removed"
                                  + (f", skipped: {', '.join(result.skipped)}."
                                     if result.skipped else "."))
    return redirect("classrooms:gradebook", classroom.pk)
