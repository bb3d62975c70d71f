"""Timed mock exams: a domain-weighted draw, a server-kept deadline, all-or-nothing grading.

The deadline is `started_at + duration`, stored with the attempt, so a reload or a server
restart resumes the same clock. After it passes no answer is saved, and the next request for
the attempt grades it (see `exam_close_if_expired`).
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from . import bank, grading
from .models import Answer, ExamAttempt, ExamItem, Learner, Question
from .review import review_record

EXAM = "SAA-C03"  # the default, and the exam an attempt without a choice takes
EXAM_NAMES = {
    "SAA-C03": "AWS Certified Solutions Architect – Associate (SAA-C03)",
    "DVA-C02": "AWS Certified Developer – Associate (DVA-C02)",
}
# Both exams: 65 questions (50 scored, 15 unscored) in 130 minutes, 720 of 1000 to pass.
EXAM_LENGTH = 65
EXAM_MINUTES = 130
TIME_UP = "Time is up: the exam was submitted when the time ran out."
ALREADY_SUBMITTED = "This exam has been submitted; its answers can no longer change."
NO_QUESTIONS = "The bank has no questions for this exam yet: run `python manage.py quiz load`."
UNKNOWN_EXAM = "Choose one of the mock exams offered: {exams}."
SHORT_BANK = "The bank holds only {have} questions for {exam}, so this mock exam has {have}."
SHORT_DOMAIN = "Only {have} {domain} questions of the {want} the weights ask for; {gap} {were} " \
               "drawn from other domains instead."


class ExamClosed(Exception):
    """Raised with TIME_UP or ALREADY_SUBMITTED when an answer can no longer be saved."""


@dataclass(frozen=True)
class ExamDraw:
    questions: list[Question]
    notes: list[str]


def domain_targets(*, total: int, exam: str = EXAM) -> dict[str, int]:
    """Questions per domain for a draw of `total`, by the exam's weights (largest remainder)."""
    shares = {d: total * w / 100 for d, w in bank.EXAM_DOMAINS[exam].items()}
    counts = {d: int(s) for d, s in shares.items()}
    by_remainder = sorted(shares, key=lambda d: shares[d] - counts[d], reverse=True)
    for d in by_remainder[: total - sum(counts.values())]:
        counts[d] += 1
    return counts


def exam_draw(*, pool: list[Question], total: int, rng: random.Random,
              exam: str = EXAM) -> ExamDraw:
    notes, total = [], min(total, len(pool))
    if total < EXAM_LENGTH:
        notes.append(SHORT_BANK.format(have=total, exam=exam))
    by_domain = {d: [q for q in pool if bank.question_domain(q, exam=exam) == d]
                 for d in bank.EXAM_DOMAINS[exam]}
    chosen, leftovers = [], []
    for domain, want in domain_targets(total=total, exam=exam).items():
        questions = by_domain[domain]
        rng.shuffle(questions)
        chosen += questions[:want]
        leftovers += questions[want:]
        if (gap := want - len(questions)) > 0:
            notes.append(SHORT_DOMAIN.format(have=len(questions), domain=domain, want=want,
                                             gap=gap, were="was" if gap == 1 else "were"))
    # A question with no domain in this exam (only when stored without one) is still fair game.
    leftovers += [q for q in pool if bank.question_domain(q, exam=exam) not in by_domain]
    rng.shuffle(leftovers)
    chosen += leftovers[: total - len(chosen)]
    rng.shuffle(chosen)
    return ExamDraw(questions=chosen, notes=notes)


def exam_duration(*, questions: int) -> timedelta | None:
    """130 minutes for 65 questions (pro rata for a short bank), times the extension; None
    when the timer is turned off (WCAG 2.2.1)."""
    if not settings.QUIZ_TIMER_ENABLED:
        return None
    minutes = EXAM_MINUTES * questions / EXAM_LENGTH * settings.QUIZ_TIMER_EXTENSION
    return timedelta(minutes=round(minutes))


@transaction.atomic
def exam_start(*, learner: Learner, now: datetime, exam: str = EXAM,
               rng: random.Random | None = None) -> ExamAttempt:
    """A new attempt at `exam` (SAA-C03 or DVA-C02), drawn by that exam's domain weights."""
    if exam not in bank.EXAM_DOMAINS:
        raise ExamClosed(UNKNOWN_EXAM.format(exams=", ".join(bank.EXAM_DOMAINS)))
    pool = list(Question.objects.tagged(field="exams", value=exam))
    if not pool:
        raise ExamClosed(NO_QUESTIONS)
    draw = exam_draw(pool=pool, total=EXAM_LENGTH, rng=rng or random.Random(), exam=exam)
    attempt = ExamAttempt.objects.create(
        learner=learner, exam=exam, started_at=now, note="\n".join(draw.notes),
        duration=exam_duration(questions=len(draw.questions)),
    )
    ExamItem.objects.bulk_create(ExamItem(attempt=attempt, position=n, question=q)
                                 for n, q in enumerate(draw.questions, 1))
    return attempt


def exam_is_open(*, attempt: ExamAttempt, now: datetime) -> bool:
    return attempt.submitted_at is None and (attempt.deadline is None or now < attempt.deadline)


def exam_answer(*, attempt: ExamAttempt, position: int, letters: list[str], flagged: bool,
                now: datetime) -> ExamItem:
    """Save (or change) the answer and flag of one item while the exam is open."""
    if attempt.submitted_at is not None:
        raise ExamClosed(ALREADY_SUBMITTED)
    if not exam_is_open(attempt=attempt, now=now):
        raise ExamClosed(TIME_UP)
    item = attempt.items.select_related("question").get(position=position)
    chosen = grading.letters_to_positions(question=item.question, letters=letters)
    item.chosen, item.flagged = grading.chosen_encode(chosen), flagged
    item.save(update_fields=["chosen", "flagged"])
    return item


@transaction.atomic
def exam_grade(*, attempt: ExamAttempt, now: datetime) -> ExamAttempt:
    """Submit and score the attempt (once; later calls return it unchanged). Unanswered items
    score wrong; answered ones join the learner's history and spaced review."""
    attempt = ExamAttempt.objects.select_for_update().get(pk=attempt.pk)
    if attempt.submitted_at is not None:
        return attempt
    items = list(attempt.items.select_related("question").prefetch_related("question__options"))
    for item in items:
        chosen = grading.chosen_decode(item.chosen)
        item.correct = grading.answer_is_correct(question=item.question, chosen=chosen)
        if not chosen:
            continue  # scored wrong, but not history: skipping is not forgetting
        Answer.objects.create(learner=attempt.learner, question=item.question, mode="exam",
                              chosen=item.chosen, correct=item.correct, answered_at=now,
                              attempt=attempt)
        review_record(learner=attempt.learner, question=item.question, correct=item.correct,
                      now=now)
    ExamItem.objects.bulk_update(items, ["correct"])
    attempt.correct_count = sum(item.correct for item in items)
    attempt.score = grading.score_scale(correct=attempt.correct_count, total=len(items))
    attempt.submitted_at = now
    attempt.save(update_fields=["correct_count", "score", "submitted_at"])
    return attempt


def exam_close_if_expired(*, attempt: ExamAttempt, now: datetime) -> bool:
    """Grade an attempt whose time ran out, as of its deadline; True when it is submitted."""
    if attempt.submitted_at is None and not exam_is_open(attempt=attempt, now=now):
        exam_grade(attempt=attempt, now=min(now, attempt.deadline))
        attempt.refresh_from_db()
    return attempt.submitted_at is not None
