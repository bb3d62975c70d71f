from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect, push_url

from .. import exams
from ..exam_pages import exam_page, exam_report
from ..learners import learner_ensure, learner_get
from ..models import ExamAttempt

TEMPLATE = "quizzes/exam.html"


def _attempt(request, pk) -> ExamAttempt:
    return get_object_or_404(ExamAttempt, pk=pk, learner=learner_get(request=request))


def _closed(request, attempt: ExamAttempt, now) -> bool:
    """True when the attempt is submitted, grading it first if its time has run out."""
    if attempt.submitted_at is not None:
        return True
    if exams.exam_close_if_expired(attempt=attempt, now=now):
        messages.error(request, exams.TIME_UP)
        return True
    return False


def _target(go: str, position: int, total: int) -> int:
    steps = {"next": position + 1, "prev": position - 1}
    target = steps[go] if go in steps else int(go) if go.isdigit() else position
    return min(max(target, 1), total)


def _to_result(request, attempt: ExamAttempt):
    url = reverse("quizzes:exam_result", args=[attempt.pk])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@require_POST
def exam_start(request):
    try:
        attempt = exams.exam_start(learner=learner_ensure(request=request), now=timezone.now(),
                                   exam=request.POST.get("exam", exams.EXAM))
    except exams.ExamClosed as e:
        messages.error(request, str(e))
        return redirect("quizzes:index")
    return redirect("quizzes:exam_item", attempt.pk, 1)


@require_GET
def exam_item(request, pk, position):
    attempt = _attempt(request, pk)
    if _closed(request, attempt, timezone.now()):
        return _to_result(request, attempt)
    page = exam_page(attempt=attempt, position=position, now=timezone.now())
    return render(request, TEMPLATE + ("#exam" if request.htmx else ""), {"page": page})


@require_POST
def exam_save(request, pk, position):
    attempt, now = _attempt(request, pk), timezone.now()
    total = attempt.items.count()
    if not 1 <= position <= total:
        raise Http404("no such question in this exam")
    go = request.POST.get("go", "next")
    try:
        exams.exam_answer(attempt=attempt, position=position, now=now,
                          letters=request.POST.getlist("answer"),
                          flagged=request.POST.get("flagged") == "1")
    except exams.ExamClosed as e:
        messages.error(request, str(e))
        exams.exam_close_if_expired(attempt=attempt, now=now)
        return _to_result(request, attempt)
    if go == "submit":
        exams.exam_grade(attempt=attempt, now=now)
        return _to_result(request, attempt)
    target = _target(go, position, total)
    if not request.htmx:
        return redirect("quizzes:exam_item", attempt.pk, target)
    page = exam_page(attempt=attempt, position=target, now=now)
    response = render(request, TEMPLATE + "#exam", {"page": page})
    return push_url(response, reverse("quizzes:exam_item", args=[attempt.pk, target]))


@require_GET
def exam_timer(request, pk):
    """Polled by the page; the request after the deadline submits the exam."""
    attempt, now = _attempt(request, pk), timezone.now()
    if _closed(request, attempt, now):
        return _to_result(request, attempt)
    page = exam_page(attempt=attempt, position=1, now=now)
    return render(request, TEMPLATE + "#timer", {"page": page})


@require_GET
def exam_result(request, pk):
    attempt = _attempt(request, pk)
    if not _closed(request, attempt, timezone.now()):
        return redirect("quizzes:exam_item", attempt.pk, 1)
    return render(request, "quizzes/exam_result.html", {"report": exam_report(attempt=attempt)})
