"""The class's own question bank: the instructor uploads, lists, deletes and exports; a TA
may look and export; students never see it (404, like every page of a class they may not
see)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from . import services
from .forms import QuestionFileForm
from .question_bank import (
    EXPORTS,
    MAX_BYTES,
    class_bank_export,
    class_bank_import,
    class_question_delete,
    class_questions,
)


def _page(request, classroom, *, form=None, errors=(), report=None, status=200):
    template = "classrooms/question_bank.html" + ("#bank" if request.htmx else "")
    return render(request, template, {
        "classroom": classroom, "questions": class_questions(classroom=classroom),
        "is_instructor": classroom.instructor_id == request.user.pk,
        "form": form or QuestionFileForm(), "errors": errors, "report": report},
        status=status)


@require_GET
@login_required
def bank(request, classroom_id):
    classroom = services.classroom_for_staff(user=request.user, classroom_id=classroom_id)
    return _page(request, classroom)


@require_POST
@login_required
def bank_import(request, classroom_id):
    classroom = services.classroom_for_instructor(user=request.user, classroom_id=classroom_id)
    form = QuestionFileForm(request.POST, request.FILES)
    if not form.is_valid():
        errors = [m for ms in form.errors.values() for m in ms]
        return _page(request, classroom, form=form, errors=errors, status=400)
    upload = form.cleaned_data["question_file"]
    try:
        # Read no more than the limit and one byte: a larger file is refused, not loaded.
        report = class_bank_import(classroom=classroom, filename=upload.name,
                                   content=upload.read(MAX_BYTES + 1))
    except ValidationError as e:
        return _page(request, classroom, form=form, errors=e.messages, status=400)
    if request.htmx:
        return _page(request, classroom, report=report)
    messages.success(request, f"Imported {report.created} new and updated {report.updated} "
                              f"question(s).")
    for line in report.skipped:
        messages.warning(request, line)
    return redirect("classrooms:bank", classroom_id=classroom.pk)


@require_POST
@login_required
def bank_delete(request, classroom_id, question_id):
    classroom = services.classroom_for_instructor(user=request.user, classroom_id=classroom_id)
    try:
        deleted = class_question_delete(classroom=classroom, question_id=question_id)
    except ValidationError as e:
        if request.htmx:
            return _page(request, classroom, errors=e.messages, status=400)
        messages.error(request, " ".join(e.messages))
    else:
        if request.htmx:
            return _page(request, classroom)
        messages.success(request, f"Deleted {deleted.title or deleted.bank_id}.")
    return redirect("classrooms:bank", classroom_id=classroom.pk)


@require_GET
@login_required
def bank_export(request, classroom_id, fmt):
    classroom = services.classroom_for_staff(user=request.user, classroom_id=classroom_id)
    if fmt not in EXPORTS:
        raise Http404("No such format")
    content_type, extension = EXPORTS[fmt]
    response = HttpResponse(class_bank_export(classroom=classroom, fmt=fmt),
                            content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = \
        f'attachment; filename="class-{classroom.pk}-questions.{extension}"'
    return response
