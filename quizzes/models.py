"""The question bank in the database, and each learner's answers, mock exams and review cards.

Tags (exams, patterns, services) are space-separated words rather than JSON lists: they stay
editable as plain text in the admin, and `Question.objects.tagged()` filters them with a
regex that SQLite and PostgreSQL both run (SQLite has no JSON `contains`).

A question with `classroom` set belongs to that class's own bank (classrooms/question_bank.py):
`Question.objects` is the public bank and never returns one; `Question.everything` does.
"""

import re
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models

from . import bank

DOMAIN_CHOICES = [(d, d) for d in bank.DOMAINS]
DVA_DOMAIN_CHOICES = [(d, d) for d in bank.DVA_DOMAINS]
TYPE_CHOICES = [("single", "Multiple choice"), ("multi", "Multiple response")]
TAG_FIELDS = ("exams", "patterns", "services", "labs")
NUMBER_WORDS = {2: "two", 3: "three", 4: "four"}


class QuestionQuerySet(models.QuerySet):
    def tagged(self, *, field: str, value: str) -> "QuestionQuerySet":
        if field not in TAG_FIELDS:
            raise ValueError(f"not a tag field: {field}")
        return self.filter(**{f"{field}__regex": rf"(^| ){re.escape(value)}( |$)"})


class PublicQuestionManager(models.Manager.from_queryset(QuestionQuerySet)):
    """The public bank: practice, mock exams, topic pages and the question pages read it.
    A class's own questions (imported by its instructor) never appear here."""

    def get_queryset(self):
        return super().get_queryset().filter(classroom__isnull=True)


class Question(models.Model):
    bank_id = models.SlugField("id", max_length=100, unique=True)
    type = models.CharField(max_length=6, choices=TYPE_CHOICES, default="single")
    stem = models.TextField()
    domain = models.CharField(max_length=12, choices=DOMAIN_CHOICES, blank=True)
    dva_domain = models.CharField("DVA-C02 domain", max_length=15, choices=DVA_DOMAIN_CHOICES,
                                  blank=True)
    exams = models.CharField(max_length=100, default="SAA-C03", help_text="space-separated")
    patterns = models.CharField(max_length=200, blank=True, help_text="space-separated slugs")
    services = models.CharField(max_length=300, blank=True, help_text="space-separated slugs")
    difficulty = models.PositiveSmallIntegerField(default=2, choices=[(1, 1), (2, 2), (3, 3)])
    link = models.CharField(max_length=200, blank=True, help_text="/patterns/<slug>/#section")
    scenario = models.CharField(max_length=100, blank=True, help_text="pattern-slug/scenario")
    # The experiments and fix-its it tests (quizzes/lab_links.py): practice filters by one.
    labs = models.CharField(max_length=300, blank=True,
                            help_text="space-separated <pattern>/experiment/<slug> or "
                                      "<pattern>/fixit/<slug>")
    source = models.CharField(max_length=200, blank=True, help_text="file:line it came from")
    # A class's own question (its instructor's bank): seen only through that class.
    classroom = models.ForeignKey("classrooms.Classroom", null=True, blank=True,
                                  on_delete=models.CASCADE, related_name="questions")
    title = models.CharField(max_length=255, blank=True, help_text="the file's question name")
    category = models.CharField(max_length=255, blank=True, help_text="Moodle category path")

    objects = PublicQuestionManager()  # the default: public questions only
    everything = QuestionQuerySet.as_manager()  # with every class's own questions

    class Meta:
        ordering = ["bank_id"]

    def __str__(self) -> str:
        return self.bank_id

    def tags(self, field: str) -> list[str]:
        return getattr(self, field).split()

    @property
    def choose_text(self) -> str:
        """The exam's instruction for multiple response ("Choose two."): public, as on AWS."""
        count = sum(o.correct for o in self.options.all())
        return f"Choose {NUMBER_WORDS.get(count, count)}."

    @property
    def scenario_url(self) -> str:
        if "/" not in self.scenario:
            return ""
        pattern, name = self.scenario.split("/", 1)
        return f"/patterns/{pattern}/?scenario={name}#run"


class Option(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField()
    text = models.TextField()
    correct = models.BooleanField(default=False)
    why = models.TextField(blank=True, help_text="why this option is right, or why it is wrong")
    fraction = models.FloatField(null=True, blank=True,
                                 help_text="a class question's Moodle weight, percent")

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["question", "position"], name="option_position")
        ]

    def __str__(self) -> str:
        return self.text[:60]


class Learner(models.Model):
    """Whoever is answering: an anonymous session (its id kept in the session) or a user."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return str(self.user) if self.user else f"anonymous #{self.pk}"


class Answer(models.Model):
    """One answer to one question: the learner's history, mastery and CSV export read these."""

    MODES = [("practice", "practice"), ("review", "review"), ("exam", "exam")]
    learner = models.ForeignKey(Learner, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    mode = models.CharField(max_length=8, choices=MODES, default="practice")
    chosen = models.CharField(max_length=30, blank=True, help_text="option positions, 0-based")
    correct = models.BooleanField()
    answered_at = models.DateTimeField()
    attempt = models.ForeignKey("ExamAttempt", null=True, blank=True, on_delete=models.CASCADE)

    class Meta:
        ordering = ["-answered_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.question} ({'right' if self.correct else 'wrong'})"


class ExamAttempt(models.Model):
    learner = models.ForeignKey(Learner, on_delete=models.CASCADE, related_name="exams")
    exam = models.CharField(max_length=10, default="SAA-C03")
    started_at = models.DateTimeField()
    duration = models.DurationField(null=True, blank=True, help_text="empty: untimed")
    submitted_at = models.DateTimeField(null=True, blank=True)
    correct_count = models.PositiveSmallIntegerField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.TextField(blank=True, help_text="how the draw departed from the weights")

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.exam} mock #{self.pk}"

    @property
    def deadline(self) -> datetime | None:
        return self.started_at + self.duration if self.duration else None

    def time_left(self, now: datetime) -> timedelta | None:
        return max(self.deadline - now, timedelta(0)) if self.deadline else None


class ExamItem(models.Model):
    attempt = models.ForeignKey(ExamAttempt, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()  # 1-based, as the navigator shows it
    question = models.ForeignKey(Question, on_delete=models.PROTECT)
    chosen = models.CharField(max_length=30, blank=True)
    flagged = models.BooleanField(default=False)
    correct = models.BooleanField(null=True)  # set when the attempt is graded

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "position"], name="item_position")
        ]

    def __str__(self) -> str:
        return f"{self.attempt} #{self.position}"


class ReviewCard(models.Model):
    """A learner's FSRS card for one question; `card` is fsrs.Card.to_dict()."""

    learner = models.ForeignKey(Learner, on_delete=models.CASCADE, related_name="cards")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="cards")
    due = models.DateTimeField()
    card = models.JSONField()
    reviewed_at = models.DateTimeField()

    class Meta:
        ordering = ["due"]
        constraints = [
            models.UniqueConstraint(fields=["learner", "question"], name="one_card_per_question")
        ]
        indexes = [models.Index(fields=["learner", "due"])]

    def __str__(self) -> str:
        return f"{self.question} for {self.learner}"
