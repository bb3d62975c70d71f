from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from .. import grading
from ..learners import learner_ensure, learner_get
from ..models import Answer, Question
from ..practice import PracticeError, Topic, answer_result, practice_check, practice_next
from ..review import review_queue

TEMPLATE = "quizzes/practice.html"


def _next_url(mode: str, topic: Topic) -> str:
    if mode == "review":
        return reverse("quizzes:review")
    return reverse("quizzes:practice") + (f"?{topic.query}" if topic.query else "")


def _context(*, question, topic: Topic, mode: str, **extra) -> dict:
    return {"question": question, "topic": topic, "mode": mode,
            "next_url": _next_url(mode, topic),
            "options": grading.options_shown(question=question) if question else [], **extra}


def _topic_refused(request, error: PracticeError):
    """A query naming an exam, a domain or a lab link that cannot be: the page says why."""
    context = _context(question=None, topic=Topic(), mode="practice", topic_error=str(error))
    return render(request, TEMPLATE, context, status=400)


@require_GET
def practice(request):
    try:
        topic = Topic.from_query(request.GET)
    except PracticeError as e:
        return _topic_refused(request, e)
    question = practice_next(topic=topic, learner=learner_get(request=request))
    return render(request, TEMPLATE, _context(question=question, topic=topic, mode="practice"))


@require_GET
def practice_question(request, bank_id):
    question = get_object_or_404(Question, bank_id=bank_id)
    try:
        topic = Topic.from_query(request.GET)
    except PracticeError as e:
        return _topic_refused(request, e)
    return render(request, TEMPLATE, _context(question=question, topic=topic, mode="practice"))


@require_GET
def review(request):
    queue = review_queue(learner=learner_get(request=request), now=timezone.now())
    question = queue.next.question if queue.next else None
    return render(request, TEMPLATE,
                  _context(question=question, topic=Topic(), mode="review", queue=queue))


@require_POST
def practice_answer(request, bank_id):
    question = get_object_or_404(Question, bank_id=bank_id)
    try:
        topic = Topic.from_query(request.GET)
    except PracticeError as e:
        return _topic_refused(request, e)
    mode = "review" if request.POST.get("mode") == "review" else "practice"
    try:
        result = practice_check(learner=learner_ensure(request=request), question=question,
                                letters=request.POST.getlist("answer"), mode=mode,
                                now=timezone.now())
    except PracticeError as e:
        context = _context(question=question, topic=topic, mode=mode, error=str(e))
        return render(request, TEMPLATE + ("#result" if request.htmx else ""), context)
    if not request.htmx:
        url = reverse("quizzes:practice_answered", args=[result.answer.pk])
        return redirect(url + (f"?{topic.query}" if topic.query else ""))
    context = _context(question=question, topic=topic, mode=mode, result=result,
                       chosen_letters=_letters(result))
    return render(request, TEMPLATE + "#result", context)


@require_GET
def practice_answered(request, pk):
    """The page a non-htmx answer redirects to: the learner's own answer, revealed."""
    answer = get_object_or_404(Answer, pk=pk, learner=learner_get(request=request))
    result = answer_result(answer=answer)
    try:
        topic = Topic.from_query(request.GET)
    except PracticeError as e:
        return _topic_refused(request, e)
    context = _context(question=answer.question, topic=topic,
                       mode=answer.mode, result=result, chosen_letters=_letters(result))
    return render(request, TEMPLATE, context)


def _letters(result) -> list[str]:
    return [o.letter for o in result.options if o.chosen]
