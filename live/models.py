"""A live quiz in the room: the session the instructor paces, who joined it, their answers.

`version` goes up on every change of phase (and on a join), so an event stream, in any server
process, tells that something changed by polling one small row; answers do not touch the
session row (300 phones answering at once would queue on it), the stream counts them instead.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

PIN_LENGTH = 6


class LiveSession(models.Model):
    LOBBY, QUESTION, CLOSED, REVEALED, ENDED = "lobby", "question", "closed", "revealed", "ended"
    PHASES = [(LOBBY, "Waiting to start"), (QUESTION, "Answering"), (CLOSED, "Closed"),
              (REVEALED, "Answer revealed"), (ENDED, "Ended")]
    classroom = models.ForeignKey("classrooms.Classroom", on_delete=models.CASCADE,
                                  related_name="live_sessions")
    host = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="+")
    title = models.CharField(max_length=200)
    pin = models.CharField(max_length=PIN_LENGTH)
    question_ids = models.JSONField(default=list)  # quizzes.Question.bank_id, in order
    index = models.SmallIntegerField(default=-1)  # the question on show; -1 in the lobby
    phase = models.CharField(max_length=8, choices=PHASES, default=LOBBY)
    shown_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)  # the countdown's end, if any
    version = models.PositiveIntegerField(default=1)
    assignment = models.ForeignKey("classrooms.Assignment", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["pin"], condition=~Q(phase="ended"),
                                               name="one_running_session_per_pin")]

    def __str__(self) -> str:
        return f"{self.title} ({self.pin})"

    @property
    def question_id(self) -> str | None:
        return self.question_ids[self.index] if 0 <= self.index < len(self.question_ids) \
            else None

    @property
    def is_last(self) -> bool:
        return self.index >= len(self.question_ids) - 1


class Participant(models.Model):
    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE,
                                related_name="participants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                             on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=30)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["joined_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], condition=Q(user__isnull=False),
                                    name="one_participant_per_user"),
            models.UniqueConstraint(fields=["session", "name"], name="one_participant_per_name"),
        ]

    def __str__(self) -> str:
        return self.name


class LiveAnswer(models.Model):
    session = models.ForeignKey(LiveSession, on_delete=models.CASCADE, related_name="answers")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE,
                                    related_name="answers")
    index = models.SmallIntegerField()  # which of the session's questions
    chosen = models.CharField(max_length=30)  # option positions, 0-based (quizzes.grading)
    correct = models.BooleanField()
    points = models.PositiveIntegerField()
    elapsed_ms = models.PositiveIntegerField()
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["answered_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["participant", "index"],
                                               name="one_answer_per_question")]
        indexes = [models.Index(fields=["session", "index"])]

    def __str__(self) -> str:
        return f"{self.participant} #{self.index} ({self.points})"
