"""Mastery, history and the CSV of results.

A question counts as mastered when the learner's latest answer to it was right; mastery of a
domain or pattern is mastered questions over all the bank's questions in it.
"""

import csv
from dataclasses import dataclass
from typing import TextIO

from django.db.models import QuerySet

from . import bank
from .models import Answer, ExamAttempt, Learner, Question

CSV_HEADER = ["answered_at", "learner", "user", "mode", "exam_attempt", "question", "domain",
              "chosen", "correct_options", "correct"]


@dataclass(frozen=True)
class Mastery:
    name: str
    mastered: int
    answered: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.mastered / self.total) if self.total else 0


@dataclass(frozen=True)
class Progress:
    domains: list[Mastery]
    patterns: list[Mastery]
    recent: list[Answer]
    exams: list[ExamAttempt]
    wrong: int


def _mastery(name: str, questions: list[Question], latest: dict[int, bool]) -> Mastery:
    return Mastery(name=name, total=len(questions),
                   answered=sum(q.pk in latest for q in questions),
                   mastered=sum(latest.get(q.pk, False) for q in questions))


def progress_summary(*, learner: Learner | None) -> Progress:
    latest: dict[int, bool] = {}
    answers = Answer.objects.filter(learner=learner) if learner else Answer.objects.none()
    for question_id, correct in answers.order_by("answered_at", "pk").values_list(
            "question_id", "correct"):
        latest[question_id] = correct
    questions = list(Question.objects.only("pk", "domain", "patterns"))
    patterns = sorted({p for q in questions for p in q.tags("patterns")})
    return Progress(
        domains=[_mastery(d, [q for q in questions if q.domain == d], latest)
                 for d in bank.DOMAINS],
        patterns=[_mastery(p, [q for q in questions if p in q.tags("patterns")], latest)
                  for p in patterns],
        recent=list(answers.select_related("question")[:30]),
        exams=list(ExamAttempt.objects.filter(learner=learner)) if learner else [],
        wrong=sum(not correct for correct in latest.values()),
    )


def results_csv_write(*, answers: QuerySet[Answer], out: TextIO) -> int:
    """Write one CSV row per answer, oldest first; options are numbered 1.. in bank order.
    Returns the number of rows."""
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    rows = answers.select_related("learner__user", "question").prefetch_related(
        "question__options").order_by("answered_at", "pk")
    count = 0
    for a in rows:
        correct = [str(o.position + 1) for o in a.question.options.all() if o.correct]
        chosen = [str(int(p) + 1) for p in a.chosen.split(",") if p]
        writer.writerow([a.answered_at.isoformat(), a.learner_id,
                         a.learner.user.get_username() if a.learner.user else "",
                         a.mode, a.attempt_id or "", a.question.bank_id, a.question.domain,
                         ";".join(chosen), ";".join(correct), int(a.correct)])
        count += 1
    return count
