"""Spaced review: one FSRS card per learner and question; a right answer rates Good, a wrong
one Again. Every answer (practice, review, a graded mock exam) reviews the card."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from fsrs import Card, Rating, Scheduler

from .models import Learner, Question, ReviewCard

# One 10-minute learning step: a question answered right on first sight graduates at once (due
# in days), one answered wrong comes back in 10 minutes. Fuzzing would spread due dates at
# random; off, so a learner's queue is predictable and testable.
SCHEDULER = Scheduler(learning_steps=(timedelta(minutes=10),), enable_fuzzing=False)


@dataclass(frozen=True)
class ReviewQueue:
    due: list[ReviewCard]
    later_today: int

    @property
    def next(self) -> ReviewCard | None:
        return self.due[0] if self.due else None


def review_record(*, learner: Learner, question: Question, correct: bool,
                  now: datetime) -> ReviewCard:
    row = ReviewCard.objects.filter(learner=learner, question=question).first()
    # card_id is given so fsrs does not sleep a millisecond to make one up.
    card = Card.from_dict(row.card) if row else Card(card_id=question.pk)
    card, _log = SCHEDULER.review_card(card, Rating.Good if correct else Rating.Again,
                                       review_datetime=now)
    row, _ = ReviewCard.objects.update_or_create(
        learner=learner, question=question,
        defaults=dict(due=card.due, card=card.to_dict(), reviewed_at=now),
    )
    return row


def review_queue(*, learner: Learner | None, now: datetime) -> ReviewQueue:
    """The cards due now, most overdue first, and how many more fall due before midnight UTC."""
    if learner is None:
        return ReviewQueue(due=[], later_today=0)
    cards = ReviewCard.objects.filter(learner=learner).select_related("question")
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return ReviewQueue(
        due=list(cards.filter(due__lte=now)),
        later_today=cards.filter(due__gt=now, due__lt=midnight).count(),
    )
