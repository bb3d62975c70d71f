"""Who is answering. Anonymous visitors get a Learner whose id lives in their session; the
session survives login (Django cycles the key but keeps the data), so on login the anonymous
learner's progress is handed to the user's learner."""

from django.db import transaction

from .models import Answer, ExamAttempt, Learner, ReviewCard

SESSION_KEY = "quiz_learner_id"


def learner_get(*, request) -> Learner | None:
    """The request's learner, or None when this visitor has not answered anything yet."""
    user = request.user
    if user.is_authenticated:
        return Learner.objects.filter(user=user).first()
    learner_id = request.session.get(SESSION_KEY)
    return Learner.objects.filter(pk=learner_id, user=None).first() if learner_id else None


def learner_ensure(*, request) -> Learner:
    if learner := learner_get(request=request):
        return learner
    if request.user.is_authenticated:
        return Learner.objects.get_or_create(user=request.user)[0]
    learner = Learner.objects.create()
    request.session[SESSION_KEY] = learner.pk
    return learner


@transaction.atomic
def learner_merge(*, session, user) -> Learner | None:
    """Give the session's anonymous progress to `user`. Returns the user's learner, if any."""
    anonymous = Learner.objects.filter(pk=session.pop(SESSION_KEY, None), user=None).first()
    mine = Learner.objects.filter(user=user).first()
    if anonymous is None:
        return mine
    if mine is None:
        anonymous.user = user
        anonymous.save(update_fields=["user"])
        return anonymous
    Answer.objects.filter(learner=anonymous).update(learner=mine)
    ExamAttempt.objects.filter(learner=anonymous).update(learner=mine)
    # One card per question: keep whichever was reviewed last.
    kept = {c.question_id: c for c in ReviewCard.objects.filter(learner=mine)}
    for card in ReviewCard.objects.filter(learner=anonymous):
        other = kept.get(card.question_id)
        if other is None or card.reviewed_at > other.reviewed_at:
            if other:
                other.delete()
            card.learner = mine
            card.save(update_fields=["learner"])
    anonymous.delete()
    return mine
