"""Pages for everyone in a class: my classes, joining, the class page, an assignment."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import services
from .access import assignment_for_student
from .assignments import due_for
from .dashboard import assignment_visit
from .fixit_catalog import assignment_fixit, fixit_tasks
from .fixit_work import fixit_work_check
from .forms import AssignmentForm, ClassForm, JoinForm
from .grading import lab_tasks, lab_work_check, submission_latest
from .models import ViewLog
from .quiz import quiz_answers_visible, quiz_form_items, quiz_review, quiz_submit


@require_GET
@login_required
def index(request):
    context = {**services.classrooms_of(user=request.user), "join_form": JoinForm(),
               "is_instructor": services.user_is_instructor(user=request.user),
               "class_form": ClassForm()}
    return render(request, "classrooms/index.html", context)


@require_POST
@login_required
def create(request):
    form = ClassForm(request.POST)
    if not form.is_valid():
        messages.error(request, "A class needs a name.")
        return redirect("classrooms:index")
    try:
        classroom = services.classroom_create(name=form.cleaned_data["name"],
                                              instructor=request.user)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
        return redirect("classrooms:index")
    return redirect("classrooms:detail", classroom_id=classroom.pk)


@require_http_methods(["GET", "POST"])
@login_required
def join(request, code=""):
    """The join form (/classes/join/) and link (/classes/join/<code>/, the form filled in)."""
    form = JoinForm(request.POST or None, initial={"code": code})
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.classroom_join(user=request.user,
                                                 code=form.cleaned_data["code"])
        except ValidationError as e:
            form.add_error("code", e)
        else:
            messages.success(request, f"You joined {membership.classroom.name}.")
            return redirect("classrooms:detail", classroom_id=membership.classroom_id)
    status = 400 if form.errors else 200
    return render(request, "classrooms/join.html", {"form": form}, status=status)


@require_GET
@login_required
def detail(request, classroom_id):
    classroom = services.classroom_for_member(user=request.user, classroom_id=classroom_id)
    if services.user_teaches(user=request.user, classroom=classroom):
        from .staff_views import class_staff_context

        context = class_staff_context(request, classroom, AssignmentForm(classroom=classroom))
        return render(request, "classrooms/class_staff.html", context)
    rows = []
    for assignment in classroom.assignments.all():
        latest = submission_latest(assignment=assignment, student=request.user)
        rows.append({"assignment": assignment, "latest": latest,
                     "due": due_for(assignment=assignment, student=request.user)})
    views = ViewLog.objects.filter(student=request.user, assignment__classroom=classroom) \
        .select_related("viewer", "assignment")
    return render(request, "classrooms/class_student.html",
                  {"classroom": classroom, "rows": rows, "views": views})


def _assignment_context(request, assignment, submission=None, error=None):
    submission = submission or submission_latest(assignment=assignment, student=request.user)
    context = {"assignment": assignment, "classroom": assignment.classroom,
               "submission": submission, "error": error,
               "due": due_for(assignment=assignment, student=request.user)}
    if assignment.kind == assignment.LAB:
        context["tasks"] = lab_tasks(assignment=assignment)
    elif assignment.kind == assignment.FIX:
        context["tasks"] = fixit_tasks(assignment=assignment)
        found = assignment_fixit(assignment=assignment)
        context["fixit"] = found[1] if found else None
    else:
        attempts = assignment.submissions.filter(student=request.user).count()
        context["attempts_left"] = assignment.attempts_allowed - attempts
        context["items"] = quiz_form_items(assignment=assignment)
        if submission and quiz_answers_visible(assignment=assignment, student=request.user):
            context["review"] = quiz_review(submission=submission)
    return context


@require_GET
@login_required
def assignment(request, classroom_id, assignment_id):
    found = assignment_for_student(user=request.user, classroom_id=classroom_id,
                                   assignment_id=assignment_id)
    assignment_visit(assignment=found, student=request.user)
    return render(request, "classrooms/assignment.html", _assignment_context(request, found))


# Not one transaction: the dashboard sees the submission running, and a long grading holds
# no database lock (ATOMIC_REQUESTS is on).
@transaction.non_atomic_requests
@require_POST
@login_required
def check(request, classroom_id, assignment_id):
    """Check my work: scenarios and checks in the student's own sandbox (a fix-it lab: its
    checks against what the student deployed from the fix-it page)."""
    found = assignment_for_student(user=request.user, classroom_id=classroom_id,
                                   assignment_id=assignment_id)
    submission, error = None, None
    work_check = fixit_work_check if found.kind == found.FIX else lab_work_check
    try:
        submission = work_check(assignment=found, student=request.user)
    except ValidationError as e:
        error = " ".join(e.messages)
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("classrooms:assignment", classroom_id=classroom_id,
                        assignment_id=assignment_id)
    return render(request, "classrooms/assignment.html#results",
                  _assignment_context(request, found, submission, error))


@require_POST
@login_required
def answer(request, classroom_id, assignment_id):
    """A quiz attempt: one field per question, named by its id, holding the letters chosen."""
    found = assignment_for_student(user=request.user, classroom_id=classroom_id,
                                   assignment_id=assignment_id)
    letters = {q: request.POST.getlist(f"q-{q}") for q in found.question_ids}
    try:
        quiz_submit(assignment=found, student=request.user, letters=letters)
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    return redirect("classrooms:assignment", classroom_id=classroom_id,
                    assignment_id=assignment_id)
