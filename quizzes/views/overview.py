from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ..bank import EXAM_DOMAINS
from ..exams import EXAM, EXAM_LENGTH, EXAM_NAMES, exam_duration
from ..learners import learner_get
from ..models import Answer
from ..practice import topic_catalog
from ..progress import progress_summary, results_csv_write
from ..review import review_queue


@require_GET
def index(request):
    learner = learner_get(request=request)
    progress = progress_summary(learner=learner)
    duration = exam_duration(questions=EXAM_LENGTH)
    return render(request, "quizzes/index.html", {
        "catalog": topic_catalog(),
        "progress": progress,
        "open_exams": [e for e in progress.exams if e.submitted_at is None],
        "queue": review_queue(learner=learner, now=timezone.now()),
        "exam_length": EXAM_LENGTH,
        "mock_exams": [{"code": code, "name": EXAM_NAMES[code], "default": code == EXAM,
                        "weights": weights} for code, weights in EXAM_DOMAINS.items()],
        "exam_minutes": int(duration.total_seconds() // 60) if duration else None,
        "timer_extension": settings.QUIZ_TIMER_EXTENSION,
    })


@require_GET
def progress(request):
    learner = learner_get(request=request)
    return render(request, "quizzes/progress.html", {
        "progress": progress_summary(learner=learner),
        "queue": review_queue(learner=learner, now=timezone.now()),
    })


@require_GET
def results_csv(request):
    learner = learner_get(request=request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="quiz-results.csv"'
    answers = Answer.objects.filter(learner=learner) if learner else Answer.objects.none()
    results_csv_write(answers=answers, out=response)
    return response
