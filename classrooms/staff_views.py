"""Pages for a class's instructor and TAs: the class, assignments, the live dashboard, a
student's work, the gradebook."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from . import services
from .access import assignment_for_staff
from .assignments import assignment_checks_update, assignment_create, extension_grant
from .dashboard import dashboard_grid, gradebook, gradebook_csv
from .fixit_catalog import assignment_fixit
from .forms import AssignmentForm, ChecksForm, ExtensionForm, RosterForm, UsernameForm
from .models import Assignment, Membership
from .quiz import quiz_item_analysis
from .regrades import NOT_A_LAB, regrade_latest, regrade_queue
from .review import sandbox_reset, sandbox_state, student_of_class, work_view

NOT_A_STUDENT = "{username!r} is not a student of this class."


def class_staff_context(request, classroom, assignment_form, roster_errors=()):
    return {"classroom": classroom, "assignment_form": assignment_form,
            "is_instructor": classroom.instructor_id == request.user.pk,
            "join_url": request.build_absolute_uri(f"/classes/join/{classroom.join_code}/"),
            "roster": services.roster_rows(classroom=classroom), "roster_form": RosterForm(),
            "roster_errors": roster_errors,
            "members": classroom.memberships.select_related("user"),
            "assignments": classroom.assignments.all()}


def _back(classroom):
    return redirect("classrooms:detail", classroom_id=classroom.pk)


@require_POST
@login_required
def settings_update(request, classroom_id):
    classroom = services.classroom_for_instructor(user=request.user, classroom_id=classroom_id)
    services.classroom_settings_update(
        classroom=classroom,
        joining_open={"open": True, "close": False}.get(request.POST.get("joining")),
        regenerate_code="regenerate" in request.POST)
    return _back(classroom)


@require_POST
@login_required
def roster(request, classroom_id):
    classroom = services.classroom_for_instructor(user=request.user, classroom_id=classroom_id)
    form = RosterForm(request.POST, request.FILES)
    errors = []
    if form.is_valid():
        try:
            count = services.roster_import(classroom=classroom, text=form.cleaned_data["csv_file"])
            messages.success(request, f"{count} student(s) on the roster.")
            return _back(classroom)
        except ValidationError as e:
            errors = e.messages
    else:
        errors = [m for ms in form.errors.values() for m in ms]
    context = class_staff_context(request, classroom, AssignmentForm(classroom=classroom), errors)
    return render(request, "classrooms/class_staff.html", context, status=400)


@require_POST
@login_required
def member_remove(request, classroom_id, user_id):
    classroom = services.classroom_for_instructor(user=request.user, classroom_id=classroom_id)
    services.member_remove(classroom=classroom, user_id=user_id)
    return _back(classroom)


@require_POST
@login_required
def ta_add(request, classroom_id):
    classroom = services.classroom_for_instructor(user=request.user, classroom_id=classroom_id)
    form = UsernameForm(request.POST)
    try:
        if form.is_valid():
            services.ta_add(classroom=classroom, username=form.cleaned_data["username"])
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    return _back(classroom)


@require_POST
@login_required
def assignment_new(request, classroom_id):
    classroom = services.classroom_for_instructor(user=request.user, classroom_id=classroom_id)
    form = AssignmentForm(request.POST, classroom=classroom)
    if form.is_valid():
        try:
            found = assignment_create(classroom=classroom, **form.assignment_fields())
            return redirect("classrooms:dashboard", classroom_id=classroom.pk,
                            assignment_id=found.pk)
        except ValidationError as e:
            for message in e.messages:
                form.add_error(None, message)
    return render(request, "classrooms/class_staff.html",
                  class_staff_context(request, classroom, form), status=400)


@require_GET
@login_required
def dashboard(request, classroom_id, assignment_id):
    found = assignment_for_staff(user=request.user, classroom_id=classroom_id,
                                 assignment_id=assignment_id)
    template = "classrooms/dashboard.html" + ("#grid" if request.htmx else "")
    return render(request, template, _dashboard_context(request, found))


def _dashboard_context(request, found, checks_form=None) -> dict:
    context = {"assignment": found, "classroom": found.classroom,
               "grid": dashboard_grid(assignment=found), "extension_form": ExtensionForm(),
               "regrade": regrade_latest(assignment=found),
               "is_instructor": found.classroom.instructor_id == request.user.pk}
    if found.kind == Assignment.QUIZ:
        context["items"] = quiz_item_analysis(assignment=found)
    elif found.kind == Assignment.LAB and context["is_instructor"]:
        context["checks_form"] = checks_form or ChecksForm.for_assignment(found)
    return context


@require_POST
@login_required
def checks_update(request, classroom_id, assignment_id):
    """The instructor changes a lab's checks (validated against its pattern); a re-grade
    then applies them to everyone's latest work."""
    classroom = services.classroom_for_instructor(user=request.user, classroom_id=classroom_id)
    found = assignment_for_staff(user=request.user, classroom_id=classroom.pk,
                                 assignment_id=assignment_id)
    back = redirect("classrooms:dashboard", classroom_id=classroom.pk, assignment_id=found.pk)
    if found.kind != Assignment.LAB:
        messages.error(request, NOT_A_LAB)
        return back
    form = ChecksForm(request.POST)
    if form.is_valid():
        try:
            assignment_checks_update(assignment=found, checks=form.cleaned_data["checks"])
            messages.success(request, "Checks saved. Re-grade everyone to apply them to "
                                      "work already handed in.")
            return back
        except ValidationError as e:
            for message in e.messages:
                form.add_error("checks", message)
    return render(request, "classrooms/dashboard.html",
                  _dashboard_context(request, found, checks_form=form), status=400)


@require_POST
@login_required
def regrade(request, classroom_id, assignment_id):
    """Queue a re-grade for the task worker; the dashboard shows it queued, then done."""
    found = assignment_for_staff(user=request.user, classroom_id=classroom_id,
                                 assignment_id=assignment_id)
    try:
        regrade_queue(assignment=found, user=request.user)
        messages.success(request, "Re-grade queued: this page shows when it is done.")
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    return redirect("classrooms:dashboard", classroom_id=classroom_id, assignment_id=found.pk)


@require_POST
@login_required
def extension(request, classroom_id, assignment_id):
    found = assignment_for_staff(user=request.user, classroom_id=classroom_id,
                                 assignment_id=assignment_id)
    form = ExtensionForm(request.POST)
    if form.is_valid():
        username = form.cleaned_data["username"]
        student = found.classroom.memberships.filter(
            user__username=username, role=Membership.STUDENT).first()
        try:
            if student is None:
                raise ValidationError(NOT_A_STUDENT.format(username=username))
            student = student.user
            due_at = form.zoned(form.cleaned_data["due_at"])
            extension_grant(assignment=found, student=student, due_at=due_at)
            messages.success(request,
                             f"{student.username} now has until {due_at:%Y-%m-%d %H:%M %Z}.")
        except ValidationError as e:
            messages.error(request, " ".join(e.messages))
    else:
        messages.error(request, "Give a username and a due date.")
    return redirect("classrooms:dashboard", classroom_id=classroom_id, assignment_id=found.pk)


@require_GET
@login_required
def work(request, classroom_id, assignment_id, user_id):
    """A student's latest submission, its trace and their sandbox now, read-only (logged)."""
    found = assignment_for_staff(user=request.user, classroom_id=classroom_id,
                                 assignment_id=assignment_id)
    student = student_of_class(assignment=found, student_id=user_id)
    submission = work_view(viewer=request.user, assignment=found, student=student)
    state = sandbox_state(student=student, stack=_stack(found)) \
        if found.kind in (Assignment.LAB, Assignment.FIX) else []
    return render(request, "classrooms/work.html",
                  {"assignment": found, "classroom": found.classroom, "student": student,
                   "submission": submission, "state": state,
                   "state_error": state if isinstance(state, str) else ""})


def _stack(assignment: Assignment) -> str:
    """The stack the assignment's work is in: the pattern's, or the fix-it's own."""
    found = assignment_fixit(assignment=assignment) if assignment.kind == Assignment.FIX \
        else None
    return found[1].stack if found else assignment.pattern


@require_POST
@login_required
def reset(request, classroom_id, assignment_id, user_id):
    found = assignment_for_staff(user=request.user, classroom_id=classroom_id,
                                 assignment_id=assignment_id)
    student = student_of_class(assignment=found, student_id=user_id)
    if request.POST.get("confirm") != "yes":
        messages.error(request, "Tick the box to confirm the reset.")
    else:
        sandbox_reset(actor=request.user, assignment=found, student=student)
        messages.success(request, f"{student.username}'s sandbox is reset; they will see a notice.")
    return redirect("classrooms:work", classroom_id=classroom_id, assignment_id=found.pk,
                    user_id=student.pk)


@require_GET
@login_required
def gradebook_page(request, classroom_id):
    classroom = services.classroom_for_staff(user=request.user, classroom_id=classroom_id)
    assignments, rows = gradebook(classroom=classroom)
    return render(request, "classrooms/gradebook.html",
                  {"classroom": classroom, "assignments": assignments, "rows": rows})


@require_GET
@login_required
def gradebook_download(request, classroom_id):
    classroom = services.classroom_for_staff(user=request.user, classroom_id=classroom_id)
    response = HttpResponse(gradebook_csv(classroom=classroom), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="gradebook-{classroom.pk}.csv"'
    return response
