"""A generated question bank, so tests never depend on the authors' files in quizzes/bank/."""

import pytest
from django.utils import timezone

from quizzes import bank
from quizzes.grading import LETTERS, option_order
from quizzes.learners import SESSION_KEY
from quizzes.models import Learner, Question
from quizzes.store import bank_store


def make_question(qid: str, *, domain: str = "secure", type: str = "single",
                  exam: tuple[str, ...] = ("SAA-C03",), **fields) -> bank.Question:
    """Option 1 is always right (and 2 too, for multi), and every text says which it is, so
    a test can look for `WHY-RIGHT` / `WHY-WRONG` in the HTML."""
    if "DVA-C02" in exam:
        fields.setdefault("dva_domain", "development")
    count, right = (5, 2) if type == "multi" else (4, 1)
    options = tuple(
        bank.Option(text=f"{qid} option {n + 1}", correct=n < right,
                    why=f"WHY-{'RIGHT' if n < right else 'WRONG'} {qid} {n + 1}")
        for n in range(count)
    )
    return bank.Question(id=qid, type=type, stem=f"Stem of {qid}: which design fits?",
                         options=options, domain=domain, exam=exam, **fields)


def generated_bank(per_domain: dict[str, int], *, exam: str = "SAA-C03") -> list[bank.Question]:
    """Questions per domain of `exam`; a DVA-C02 question's SAA-C03 domain is always secure."""
    questions = []
    for domain, count in per_domain.items():
        where = {"dva_domain": domain, "domain": "secure"} if exam == "DVA-C02" else \
            {"domain": domain}
        for n in range(count):
            kind = "multi" if n % 5 == 4 else "single"
            questions.append(make_question(f"{domain}-{n:03d}", type=kind, exam=(exam,),
                                           patterns=("rest-api",) if n % 2 else ("async-queue",),
                                           services=("lambda", "sqs"), **where))
    return questions


@pytest.fixture
def question_factory():
    return make_question


@pytest.fixture
def bank_factory():
    """generated_bank({"secure": 5, ...}): that many questions per domain, a fifth multi."""
    return generated_bank


@pytest.fixture
def stored_bank(db) -> list[Question]:
    """30 questions per domain: enough for a full 65-question mock exam in every weighting."""
    bank_store(questions=generated_bank({d: 30 for d in bank.DOMAINS}))
    return list(Question.objects.all())


@pytest.fixture
def stored_dva_bank(db) -> list[Question]:
    """30 DVA-C02 questions per DVA-C02 domain, none tagged SAA-C03."""
    bank_store(questions=generated_bank({d: 30 for d in bank.DVA_DOMAINS}, exam="DVA-C02"))
    return list(Question.objects.all())


@pytest.fixture
def one_question(db, question_factory) -> Question:
    bank_store(questions=[question_factory(
        "rest-api-q1", domain="cost", patterns=("rest-api",), services=("lambda",),
        link="/patterns/rest-api/#when", scenario="rest-api/create-then-get")])
    return Question.objects.get(bank_id="rest-api-q1")


@pytest.fixture
def learner(db) -> Learner:
    return Learner.objects.create()


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def session_learner():
    """The anonymous learner a test client's session points at."""
    return lambda client: Learner.objects.get(pk=client.session[SESSION_KEY])


@pytest.fixture
def letters_for():
    """The letters the page shows for the right options, or for one wrong option."""

    def letters(question: Question, *, correct: bool) -> list[str]:
        order = option_order(question=question)
        if correct:
            return [LETTERS[n] for n, o in enumerate(order) if o.correct]
        return [next(LETTERS[n] for n, o in enumerate(order) if not o.correct)]

    return letters
