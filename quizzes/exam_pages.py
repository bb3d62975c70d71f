"""What the exam pages show: one item with its navigator while the exam is open, and the
score, domain breakdown and review once it is graded. Nothing here reveals an answer before
the attempt is submitted: the open page carries ShownOption only."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from . import bank, grading
from .exams import EXAM_NAMES
from .models import ExamAttempt, ExamItem


@dataclass(frozen=True)
class NavEntry:
    position: int
    answered: bool
    flagged: bool


@dataclass(frozen=True)
class ExamPage:
    attempt: ExamAttempt
    item: ExamItem
    options: list[grading.ShownOption]
    chosen_letters: list[str]
    navigator: list[NavEntry]
    time_left: timedelta | None

    @property
    def total(self) -> int:
        return len(self.navigator)

    @property
    def unanswered(self) -> int:
        return sum(not e.answered for e in self.navigator)

    @property
    def flagged(self) -> int:
        return sum(e.flagged for e in self.navigator)

    @property
    def time_left_text(self) -> str:
        """Whole minutes, rounded up, so the page never shows 0 min while time remains."""
        if self.time_left is None:
            return ""
        hours, minutes = divmod(math.ceil(self.time_left.total_seconds() / 60), 60)
        return f"{hours} h {minutes} min" if hours else f"{minutes} min"


@dataclass(frozen=True)
class DomainScore:
    domain: str
    correct: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.correct / self.total) if self.total else 0


@dataclass(frozen=True)
class ReviewedItem:
    item: ExamItem
    options: list[grading.RevealedOption]


@dataclass(frozen=True)
class ExamReport:
    attempt: ExamAttempt
    exam_name: str
    passed: bool
    domains: list[DomainScore]
    items: list[ReviewedItem]


def exam_page(*, attempt: ExamAttempt, position: int, now: datetime) -> ExamPage:
    items = list(attempt.items.select_related("question").prefetch_related("question__options"))
    item = next((i for i in items if i.position == position), items[0])
    chosen = grading.chosen_decode(item.chosen)
    return ExamPage(
        attempt=attempt, item=item,
        options=grading.options_shown(question=item.question),
        chosen_letters=grading.positions_to_letters(question=item.question, positions=chosen),
        navigator=[NavEntry(position=i.position, answered=bool(i.chosen), flagged=i.flagged)
                   for i in items],
        time_left=attempt.time_left(now),
    )


def exam_report(*, attempt: ExamAttempt) -> ExamReport:
    if attempt.submitted_at is None:
        raise ValueError("an exam is reported only once it is submitted")
    items = list(attempt.items.select_related("question").prefetch_related("question__options"))
    exam = attempt.exam if attempt.exam in bank.EXAM_DOMAINS else "SAA-C03"
    domain_of = {i.pk: bank.question_domain(i.question, exam=exam) for i in items}
    domains = [DomainScore(domain=d, correct=sum(bool(i.correct) for i in items
                                                 if domain_of[i.pk] == d),
                           total=sum(domain_of[i.pk] == d for i in items))
               for d in bank.EXAM_DOMAINS[exam]]
    return ExamReport(
        attempt=attempt, exam_name=EXAM_NAMES.get(attempt.exam, attempt.exam),
        passed=attempt.score >= grading.PASS_SCORE,
        domains=[d for d in domains if d.total],
        items=[ReviewedItem(item=i, options=grading.options_revealed(
            question=i.question, chosen=grading.chosen_decode(i.chosen))) for i in items],
    )
