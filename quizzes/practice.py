"""Practice and topic quizzes: pick the next question, check an answer."""

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from urllib.parse import urlencode

from django.db.models import F, OuterRef, QuerySet, Subquery

from . import bank, grading
from .lab_links import LabLink
from .models import Answer, Learner, Question
from .review import review_record

NO_CHOICE = "Choose an answer before checking it."
UNKNOWN_EXAM = "There is no such exam to practise for: choose one of {exams}."
UNKNOWN_DOMAIN = "{exam} has no such domain: choose one of {domains}."


class PracticeError(ValueError):
    pass


@dataclass(frozen=True)
class Topic:
    """Which questions to practise: all, or one domain / pattern / service / lab link; or only
    the ones whose latest answer was wrong. With `exam`, `domain` is that exam's domain
    (SAA-C03: `domain`, DVA-C02: `dva_domain`) and only that exam's questions are in it."""

    domain: str = ""
    pattern: str = ""
    service: str = ""
    wrong_only: bool = False
    exam: str = ""
    lab: str = ""  # a lab link key, <pattern>/experiment/<slug> or <pattern>/fixit/<slug>

    @classmethod
    def from_query(cls, query) -> "Topic":
        """The topic a query string names; PracticeError for an exam, an exam's domain or a
        lab link that cannot be."""
        topic = cls(domain=query.get("domain", ""), pattern=query.get("pattern", ""),
                    service=query.get("service", ""), wrong_only=query.get("wrong") == "1",
                    exam=query.get("exam", ""), lab=query.get("lab", ""))
        if topic.exam and topic.exam not in bank.EXAMS:
            raise PracticeError(UNKNOWN_EXAM.format(exams=", ".join(bank.EXAMS)))
        if topic.exam and topic.domain and topic.domain not in bank.EXAM_DOMAINS[topic.exam]:
            raise PracticeError(UNKNOWN_DOMAIN.format(
                exam=topic.exam, domains=", ".join(bank.EXAM_DOMAINS[topic.exam])))
        if topic.lab:
            try:
                LabLink.parse(topic.lab)
            except ValueError as e:
                raise PracticeError(str(e)) from None
        return topic

    @property
    def query(self) -> str:
        pairs = {"exam": self.exam, "domain": self.domain, "pattern": self.pattern,
                 "service": self.service, "lab": self.lab,
                 "wrong": "1" if self.wrong_only else ""}
        return urlencode({k: v for k, v in pairs.items() if v})

    @property
    def label(self) -> str:
        domain = f"{self.exam} {self.domain}".strip() if self.domain else self.exam
        parts = [f"{k} {v}" for k, v in (("domain", domain), ("pattern", self.pattern),
                                         ("service", self.service)) if v]
        if self.lab:
            link = LabLink.parse(self.lab)
            name = "fix-it" if link.kind == "fixit" else link.kind
            parts.append(f"the {link.pattern} {name} {link.slug}")
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
    if topic.exam:
        questions = questions.tagged(field="exams", value=topic.exam)
    if topic.domain:
        column = bank.DOMAIN_FIELD[topic.exam] if topic.exam else "domain"
        questions = questions.filter(**{column: topic.domain})
    if topic.pattern:
        questions = questions.tagged(field="patterns", value=topic.pattern)
    if topic.service:
        questions = questions.tagged(field="services", value=topic.service)
    if topic.lab:
        questions = questions.tagged(field="labs", value=topic.lab)
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
class ExamDomain:
    code: str  # the domain's slug in its exam
    name: str  # the exam guide's name for it
    count: int
    query: str  # the practice page's query string for it


@dataclass(frozen=True)
class ExamTopics:
    exam: str
    domains: list[ExamDomain]


@dataclass(frozen=True)
class TopicCatalog:
    total: int
    domains: list[tuple[str, int]]
    patterns: list[tuple[str, int]]
    services: list[tuple[str, int]]
    # Each exam's domains, counting that exam's questions in each.
    exams: list[ExamTopics] = field(default_factory=list)


def topic_catalog() -> TopicCatalog:
    """Every domain, pattern and service the stored bank covers, with question counts."""
    rows = list(Question.objects.values_list("domain", "patterns", "services", "exams",
                                             "dva_domain"))
    domains = Counter(r[0] for r in rows)
    exams = []
    for exam, weights in bank.EXAM_DOMAINS.items():
        column = 0 if bank.DOMAIN_FIELD[exam] == "domain" else 4
        counts = Counter(r[column] for r in rows if exam in r[3].split())
        exams.append(ExamTopics(exam=exam, domains=[
            ExamDomain(code=d, name=bank.DOMAIN_NAMES[exam][d], count=counts[d],
                       query=Topic(exam=exam, domain=d).query) for d in weights]))
    return TopicCatalog(
        total=len(rows),
        domains=[(d, domains[d]) for d in bank.DOMAINS],
        patterns=sorted(Counter(p for r in rows for p in r[1].split()).items()),
        services=sorted(Counter(s for r in rows for s in r[2].split()).items()),
        exams=exams,
    )
