"""Showing a question's options and checking an answer, on the server only.

Options are shown in an order derived from the question id and the secret key, and answers
come back as the letters shown, so neither the HTML nor the form values hint at which option
is correct (authors often write the right answer first).
"""

import hashlib
import random
from dataclasses import dataclass

from django.conf import settings

from .models import Option, Question

LETTERS = "ABCDEFGH"
PASS_SCORE = 720
MIN_SCORE, MAX_SCORE = 100, 1000


@dataclass(frozen=True)
class ShownOption:
    """What the browser may see before the learner answers: no `correct`, no `why`."""

    letter: str
    text: str


@dataclass(frozen=True)
class RevealedOption:
    letter: str
    text: str
    correct: bool
    why: str
    chosen: bool


def option_order(*, question: Question) -> list[Option]:
    options = list(question.options.all())
    seed = hashlib.sha256(f"{settings.SECRET_KEY}:{question.bank_id}".encode()).hexdigest()
    random.Random(seed).shuffle(options)
    return options


def options_shown(*, question: Question) -> list[ShownOption]:
    return [ShownOption(letter=LETTERS[n], text=o.text)
            for n, o in enumerate(option_order(question=question))]


def options_revealed(*, question: Question, chosen: set[int]) -> list[RevealedOption]:
    return [RevealedOption(letter=LETTERS[n], text=o.text, correct=o.correct, why=o.why,
                           chosen=o.position in chosen)
            for n, o in enumerate(option_order(question=question))]


def letters_to_positions(*, question: Question, letters: list[str]) -> set[int]:
    """The option positions behind the letters a learner picked; unknown letters are dropped."""
    by_letter = {LETTERS[n]: o.position for n, o in enumerate(option_order(question=question))}
    return {by_letter[letter] for letter in letters if letter in by_letter}


def positions_to_letters(*, question: Question, positions: set[int]) -> list[str]:
    return [LETTERS[n] for n, o in enumerate(option_order(question=question))
            if o.position in positions]


def chosen_encode(positions: set[int]) -> str:
    return ",".join(str(p) for p in sorted(positions))


def chosen_decode(text: str) -> set[int]:
    return {int(p) for p in text.split(",") if p.strip().isdigit()}


def answer_is_correct(*, question: Question, chosen: set[int]) -> bool:
    """All or nothing, as AWS scores multiple response: exactly the correct options."""
    correct = {o.position for o in question.options.all() if o.correct}
    return bool(chosen) and chosen == correct


def score_scale(*, correct: int, total: int) -> int:
    """AWS does not publish its scaling; ours is linear in the fraction correct:
    100 + 900 * correct / total, rounded. The 720 pass mark then needs 69% (45 of 65)."""
    if total == 0:
        return MIN_SCORE
    return round(MIN_SCORE + (MAX_SCORE - MIN_SCORE) * correct / total)
