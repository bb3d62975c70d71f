"""Running a live quiz: starting it, joining, pacing (show, close, reveal, end), taking each
answer once and scoring it for correctness and speed, the histogram and the standings."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from classrooms.question_pool import questions_usable
from classrooms.services import user_teaches
from quizzes import grading
from quizzes.models import Question  # the type; questions come from questions_usable

from .models import PIN_LENGTH, LiveAnswer, LiveSession, Participant

NO_QUESTIONS = "A live quiz needs at least one question."
UNKNOWN_QUESTIONS = "No question with the id(s): {ids}."
NO_SUCH_PIN = "No live quiz has the PIN {pin!r}. Check the number on the screen."
ENDED = "This live quiz has ended."
NAME_NEEDED = "Choose a display name (up to 30 characters)."
NAME_TAKEN = "Someone here is already called {name!r}: choose another name."
NOT_ANSWERING = "That question is closed."
TIME_UP = "Time is up for this question."
NO_CHOICE = "Choose an answer first."
ALREADY_ANSWERED = "You have already answered this question."
OUT_OF_STEP = "The quiz has moved on: the screen shows where it is now."
BAD_COUNTDOWN = "The countdown must be between 5 and 300 seconds."

# Speed counts only within this window (the countdown, when there is one): a right answer
# earns 1000 points at once, falling linearly to 500 at the window's end and after.
SPEED_WINDOW = timedelta(seconds=20)
# An answer sent as the countdown ends still counts when it arrives this much later.
DEADLINE_GRACE = timedelta(seconds=1)


def pin_new() -> str:
    while True:
        pin = "".join(secrets.choice("0123456789") for _ in range(PIN_LENGTH))
        if not LiveSession.objects.filter(pin=pin).exclude(phase=LiveSession.ENDED).exists():
            return pin


def live_start(*, classroom, host, title: str, question_ids: list[str]) -> LiveSession:
    """A session in its lobby, asking public questions and the class's own; the caller has
    checked that `host` teaches `classroom`."""
    if not question_ids:
        raise ValidationError(NO_QUESTIONS)
    known = set(questions_usable(classroom_id=classroom.pk).filter(bank_id__in=question_ids)
                .values_list("bank_id", flat=True))
    if missing := [q for q in question_ids if q not in known]:
        raise ValidationError(UNKNOWN_QUESTIONS.format(ids=", ".join(missing)))
    return LiveSession.objects.create(classroom=classroom, host=host, pin=pin_new(),
                                      title=title.strip() or "Live quiz",
                                      question_ids=list(dict.fromkeys(question_ids)))


def session_for_staff(*, user, session_id: int) -> LiveSession:
    session = LiveSession.objects.filter(pk=session_id).select_related("classroom").first()
    if session is None or not user_teaches(user=user, classroom=session.classroom):
        raise Http404("No such live quiz")
    return session


def session_by_pin(*, pin: str) -> LiveSession:
    pin = "".join(pin.split())
    session = LiveSession.objects.filter(pin=pin).exclude(phase=LiveSession.ENDED).first()
    if session is None:
        raise ValidationError(NO_SUCH_PIN.format(pin=pin))
    return session


def live_join(*, session: LiveSession, user=None, name: str = "") -> Participant:
    """Join under the user's account (again: the same participant), or anonymously by the
    display name `name`."""
    if session.phase == LiveSession.ENDED:
        raise ValidationError(ENDED)
    if user is not None and user.is_authenticated:
        if found := session.participants.filter(user=user).first():
            return found
        # Under their account's name; the username (unique) where a player took that name.
        username = user.get_username()
        for name in (user.get_full_name() or username, username, f"{username} ({user.pk})"):
            if not session.participants.filter(name__iexact=name).exists():
                break
    else:
        user = None
    name = " ".join(name.split())
    if not name or len(name) > 30:
        raise ValidationError(NAME_NEEDED)
    if session.participants.filter(name__iexact=name).exists():
        raise ValidationError(NAME_TAKEN.format(name=name))
    try:
        with transaction.atomic():
            participant = Participant.objects.create(session=session, user=user, name=name)
    except IntegrityError:  # the same name (or the same account) at the same moment
        raise ValidationError(NAME_TAKEN.format(name=name)) from None
    LiveSession.objects.filter(pk=session.pk).update(version=F("version") + 1)
    return participant


def _move(session: LiveSession, *, allowed: tuple[str, ...], **changes) -> LiveSession:
    """Change phase only from where the caller saw the session (a double click moves once)."""
    moved = LiveSession.objects.filter(pk=session.pk, phase__in=allowed,
                                       index=session.index).update(
        version=F("version") + 1, **changes)
    if not moved:
        raise ValidationError(OUT_OF_STEP)
    session.refresh_from_db()
    return session


def live_show(*, session: LiveSession, countdown: int | None = None,
              now: datetime | None = None) -> LiveSession:
    """Show the next question, with a countdown of `countdown` seconds if given."""
    if countdown is not None and not 5 <= countdown <= 300:
        raise ValidationError(BAD_COUNTDOWN)
    if session.phase not in (LiveSession.LOBBY, LiveSession.REVEALED) or session.is_last:
        raise ValidationError(OUT_OF_STEP)
    now = now or timezone.now()
    return _move(session, allowed=(LiveSession.LOBBY, LiveSession.REVEALED),
                 index=session.index + 1, phase=LiveSession.QUESTION, shown_at=now,
                 deadline=now + timedelta(seconds=countdown) if countdown else None)


def live_close(*, session: LiveSession) -> LiveSession:
    return _move(session, allowed=(LiveSession.QUESTION,), phase=LiveSession.CLOSED)


def live_reveal(*, session: LiveSession) -> LiveSession:
    return _move(session, allowed=(LiveSession.QUESTION, LiveSession.CLOSED),
                 phase=LiveSession.REVEALED)


def live_end(*, session: LiveSession, now: datetime | None = None) -> LiveSession:
    """End the quiz and save its results (live.results) in the same transaction."""
    from .results import live_results_save

    with transaction.atomic():
        session = _move(session, allowed=(LiveSession.LOBBY, LiveSession.QUESTION,
                                          LiveSession.CLOSED, LiveSession.REVEALED),
                        phase=LiveSession.ENDED, ended_at=now or timezone.now())
        live_results_save(session=session)
    return session


def current_question(*, session: LiveSession) -> Question | None:
    if session.question_id is None:
        return None
    return questions_usable(classroom_id=session.classroom_id).prefetch_related(
        "options").filter(bank_id=session.question_id).first()


def points_for(*, correct: bool, elapsed: timedelta, window: timedelta = SPEED_WINDOW) -> int:
    if not correct:
        return 0
    share = min(max(elapsed / window, 0.0), 1.0)
    return round(1000 * (1 - share / 2))


def answer_take(*, session: LiveSession, participant: Participant, index: int,
                letters: list[str], now: datetime | None = None) -> LiveAnswer:
    """Take the participant's answer to the question on show, once; scored on the server."""
    now = now or timezone.now()
    session.refresh_from_db(fields=["phase", "index", "shown_at", "deadline"])
    if session.phase != LiveSession.QUESTION or index != session.index:
        raise ValidationError(NOT_ANSWERING)
    if session.deadline and now > session.deadline + DEADLINE_GRACE:
        raise ValidationError(TIME_UP)
    question = current_question(session=session)
    chosen = grading.letters_to_positions(question=question, letters=letters)
    if not chosen:
        raise ValidationError(NO_CHOICE)
    correct = grading.answer_is_correct(question=question, chosen=chosen)
    elapsed = now - session.shown_at
    window = session.deadline - session.shown_at if session.deadline else SPEED_WINDOW
    try:
        with transaction.atomic():
            return LiveAnswer.objects.create(
                session=session, participant=participant, index=index, correct=correct,
                chosen=grading.chosen_encode(chosen), answered_at=now,
                points=points_for(correct=correct, elapsed=elapsed, window=window),
                elapsed_ms=max(0, int(elapsed.total_seconds() * 1000)))
    except IntegrityError:
        raise ValidationError(ALREADY_ANSWERED) from None


@dataclass(frozen=True)
class Bar:
    letter: str
    text: str
    count: int
    percent: int
    correct: bool
    why: str


def histogram(*, session: LiveSession, question: Question) -> list[Bar]:
    """How many chose each option of the question on show, in the order the phones showed."""
    counts: dict[int, int] = {}
    rows = session.answers.filter(index=session.index).values_list("chosen", flat=True)
    total = 0
    for chosen in rows:
        total += 1
        for position in grading.chosen_decode(chosen):
            counts[position] = counts.get(position, 0) + 1
    return [Bar(letter=grading.LETTERS[n], text=o.text, count=counts.get(o.position, 0),
                percent=round(100 * counts.get(o.position, 0) / total) if total else 0,
                correct=o.correct, why=o.why)
            for n, o in enumerate(grading.option_order(question=question))]


@dataclass(frozen=True)
class Standing:
    rank: int
    participant_id: int
    name: str
    points: int
    correct: int

    @property
    def ordinal(self) -> str:
        """1st, 2nd, 3rd, 4th ... 11th, 12th, 13th ... 21st."""
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(self.rank % 10, "th")
        return f"{self.rank}{'th' if 10 <= self.rank % 100 <= 20 else suffix}"


def standings(*, session: LiveSession) -> list[Standing]:
    """Everyone by points (equal points share a rank: 1, 2, 2, 4), then by name."""
    rows = session.participants.annotate(
        total=Coalesce(Sum("answers__points"), 0),
        right=Count("answers", filter=Q(answers__correct=True))).order_by("-total", "name")
    result, rank, previous = [], 0, None
    for n, p in enumerate(rows, start=1):
        if p.total != previous:
            rank, previous = n, p.total
        result.append(Standing(rank=rank, participant_id=p.pk, name=p.name, points=p.total,
                               correct=p.right))
    return result
