"""What the projector and a phone show at a moment of the quiz (templates read these)."""

from dataclasses import dataclass, field

from quizzes import grading
from quizzes.models import Question

from .models import LiveAnswer, LiveSession, Participant
from .sessions import Bar, Standing, current_question, histogram, standings

TOP = 5


@dataclass
class Stage:
    """The projector: the question and, once closed, how the room answered."""
    session: LiveSession
    question: Question | None
    options: list = field(default_factory=list)  # ShownOption while answering
    bars: list[Bar] = field(default_factory=list)
    answered: int = 0
    joined: int = 0
    top: list[Standing] = field(default_factory=list)
    podium: list[Standing] = field(default_factory=list)


def stage_for(*, session: LiveSession) -> Stage:
    question = current_question(session=session)
    stage = Stage(session=session, question=question, joined=session.participants.count())
    if question is not None:
        stage.answered = session.answers.filter(index=session.index).count()
        if session.phase == LiveSession.QUESTION:
            stage.options = grading.options_shown(question=question)
        else:
            stage.bars = histogram(session=session, question=question)
    if session.phase in (LiveSession.REVEALED, LiveSession.ENDED):
        ranked = standings(session=session)
        stage.top = ranked[:TOP]
        stage.podium = [s for s in ranked if s.rank <= 3 and s.points > 0][:3]
    return stage


@dataclass
class Screen:
    """One phone: the question to answer, or its own answer, result and rank."""
    session: LiveSession
    participant: Participant
    question: Question | None = None
    options: list = field(default_factory=list)
    answer: LiveAnswer | None = None
    revealed: list = field(default_factory=list)  # RevealedOption after the reveal
    mine: Standing | None = None
    of: int = 0
    error: str = ""


def screen_for(*, session: LiveSession, participant: Participant, error: str = "") -> Screen:
    screen = Screen(session=session, participant=participant, error=error)
    screen.question = current_question(session=session)
    if screen.question is not None:
        screen.answer = participant.answers.filter(index=session.index).first()
        if session.phase == LiveSession.QUESTION and screen.answer is None:
            screen.options = grading.options_shown(question=screen.question)
        elif session.phase in (LiveSession.REVEALED, LiveSession.ENDED):
            chosen = grading.chosen_decode(screen.answer.chosen) if screen.answer else set()
            screen.revealed = grading.options_revealed(question=screen.question, chosen=chosen)
    if session.phase in (LiveSession.REVEALED, LiveSession.ENDED):
        ranked = standings(session=session)
        screen.of = len(ranked)
        screen.mine = next((s for s in ranked if s.participant_id == participant.pk), None)
    return screen
