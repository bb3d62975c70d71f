"""Practice and topic quizzes: pick the next question, check an answer."""

from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urlencode

from django.db.models import F, OuterRef, QuerySet, Subquery

from . import bank, grading
from .models import Answer, Learner, Question
from .review import review_record

NO_CHOICE = "Choose an answer before checking it."


class PracticeError(ValueError):
    pass


@dataclass(frozen=True)
class Topic:
    """Which questions to practise: all, or one domain / pattern / service; or only the ones
    whose latest answer was wrong."""

    domain: str = ""
    pattern: str = ""
    service: str = ""
    wrong_only: bool = False

    @classmethod
    def from_query(cls, query) -> "Topic":
        return cls(domain=query.get("domain", ""), pattern=query.get("pattern", ""),
                   service=query.get("service", ""), wrong_only=query.get("wrong") == "1")

    @property
    def query(self) -> str:
        pairs = {"domain": self.domain, "pattern": self.pattern, "service": self.service,
                 "wrong": "1" if self.wrong_only else ""}
        return urlencode({k: v for k, v in pairs.items() if v})

    @property
    def label(self) -> str:
        parts = [f"{k} {v}" for k, v in (("domain", self.domain), ("pattern", self.pattern),
                                         ("service", self.service)) if v]
        text = ", ".join(parts) or "all questions"
        return f"{text} (only those I got wrong)" if self.wrong_only else text

    def without_wrong_only(self) -> "Topic":
        return replace(self, wrong_only=False)


@dataclass(frozen=True)
class PracticeResult:
    answer: Answer
    correct: bool
    options: list[grading.RevealedOption]


def _latest(learner: Learner | None, field: str) -> Subquery:
    answers = Answer.objects.filter(learner=learner, question=OuterRef("pk"))
    return Subquery(answers.order_by("-answered_at", "-pk").values(field)[:1])


def topic_questions(*, topic: Topic, learner: Learner | None) -> QuerySet[Question]:
    questions = Question.objects.all()
    if topic.domain:
        questions = questions.filter(domain=topic.domain)
    if topic.pattern:
        questions = questions.tagged(field="patterns", value=topic.pattern)
    if topic.service:
        questions = questions.tagged(field="services", value=topic.service)
    questions = questions.annotate(last_correct=_latest(learner, "correct"),
                                   last_answered=_latest(learner, "answered_at"))
    if topic.wrong_only:
        questions = questions.filter(last_correct=False)
    return questions


def practice_next(*, topic: Topic, learner: Learner | None) -> Question | None:
    """The topic's question this learner saw longest ago (never-seen ones first)."""
    questions = topic_questions(topic=topic, learner=learner)
    return questions.order_by(F("last_answered").asc(nulls_first=True), "bank_id").first()


def practice_check(*, learner: Learner, question: Question, letters: list[str],
                   mode: str = "practice", now: datetime) -> PracticeResult:
    chosen = grading.letters_to_positions(question=question, letters=letters)
    if not chosen:
        raise PracticeError(NO_CHOICE)
    correct = grading.answer_is_correct(question=question, chosen=chosen)
    answer = Answer.objects.create(learner=learner, question=question, mode=mode,
                                   chosen=grading.chosen_encode(chosen), correct=correct,
                                   answered_at=now)
    review_record(learner=learner, question=question, correct=correct, now=now)
    return answer_result(answer=answer)


def answer_result(*, answer: Answer) -> PracticeResult:
    chosen = grading.chosen_decode(answer.chosen)
    return PracticeResult(
        answer=answer, correct=answer.correct,
        options=grading.options_revealed(question=answer.question, chosen=chosen),
    )


@dataclass(frozen=True)
class TopicCatalog:
    total: int
    domains: list[tuple[str, int]]
    patterns: list[tuple[str, int]]
    services: list[tuple[str, int]]


def topic_catalog() -> TopicCatalog:
    """Every domain, pattern and service the stored bank covers, with question counts."""
    rows = list(Question.objects.values_list("domain", "patterns", "services"))
    domains = Counter(r[0] for r in rows)
    return TopicCatalog(
        total=len(rows),
        domains=[(d, domains[d]) for d in bank.DOMAINS],
        patterns=sorted(Counter(p for r in rows for p in r[1].split()).items()),
        services=sorted(Counter(s for r in rows for s in r[2].split()).items()),
    )
