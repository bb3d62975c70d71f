"""A class with its instructor and students, and a few generated questions (option 1 right,
its `why` saying WHY-RIGHT), so live quiz tests depend on no authors' files."""

import pytest

from live.sessions import live_start
from quizzes import bank
from quizzes.grading import LETTERS, option_order
from quizzes.models import Question
from quizzes.store import bank_store


@pytest.fixture(autouse=True)
def no_lab_cloud(settings):
    settings.LAB_CLOUD_URL = "http://127.0.0.1:9"


def make_question(qid: str, *, type: str = "single") -> bank.Question:
    count, right = (5, 2) if type == "multi" else (4, 1)
    return bank.Question(
        id=qid, type=type, stem=f"Stem of {qid}: which design fits?", domain="secure",
        patterns=("rest-api",), exam=("SAA-C03",),
        options=tuple(bank.Option(text=f"{qid} option {n + 1}", correct=n < right,
                                  why=f"WHY-{'RIGHT' if n < right else 'WRONG'} {qid} {n + 1}")
                      for n in range(count)))


@pytest.fixture
def questions(db) -> list[Question]:
    bank_store(questions=[make_question("live-q1"), make_question("live-q2"),
                          make_question("live-q3", type="multi")])
    return list(Question.objects.order_by("bank_id"))


@pytest.fixture
def letters():
    """The letters a phone shows for the right options, or for one wrong option."""
    def pick(question: Question, *, correct: bool) -> list[str]:
        order = option_order(question=question)
        if correct:
            return [LETTERS[n] for n, o in enumerate(order) if o.correct]
        return [next(LETTERS[n] for n, o in enumerate(order) if not o.correct)]
    return pick


@pytest.fixture
def live(classroom, instructor, questions):
    """A session in its lobby with the three questions."""
    return live_start(classroom=classroom, host=instructor, title="Friday quiz",
                      question_ids=[q.bank_id for q in questions])
