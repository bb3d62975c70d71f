"""Sending scores to the LMS, run by the task worker (`manage.py db_worker`)."""

from django.db import transaction
from django.dispatch import receiver
from django.tasks import default_task_backend, task

from classrooms.models import Submission
from classrooms.signals import score_changed

from .grades import score_send_attempt, score_sends_create
from .models import ScoreSend


@task
def score_send(*, send_id: int) -> dict:
    """One attempt to post a score to its line item; on failure, the next attempt is queued
    after a growing delay (when the task backend can defer, as django-tasks-db can)."""
    send = ScoreSend.objects.filter(pk=send_id).select_related("link", "lti_user").first()
    if send is None:
        return {"send": send_id, "status": "gone"}
    score_send_attempt(send=send)
    if send.status == ScoreSend.RETRYING and default_task_backend.supports_defer:
        score_send.using(run_after=send.next_attempt_at).enqueue(send_id=send.pk)
    return {"send": send.pk, "status": send.status, "attempts": send.attempts}


@receiver(score_changed)
def _score_changed(sender, submission: Submission, **kwargs) -> None:
    """Queue a send per LMS link once the score is committed."""
    for send in score_sends_create(submission=submission):
        transaction.on_commit(lambda pk=send.pk: score_send.enqueue(send_id=pk))
