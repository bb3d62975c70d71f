"""Moving questions between the bank's dataclasses and the database."""

from django.db import transaction

from . import bank
from .models import Option, Question

INVALID_QUESTION = "{where}: question {id}: {problems}"
DUPLICATE_ID = "{where}: duplicate id {id}"


def _where(q: bank.Question) -> str:
    return f"{q.source_file or '?'}:{q.source_line}"


def bank_check(*, questions: list[bank.Question]) -> list[str]:
    """Every problem with a batch of questions, each message starting `file:line:`."""
    problems, seen = [], set()
    for q in questions:
        if found := bank.question_validate(q):
            problems.append(INVALID_QUESTION.format(where=_where(q), id=q.id,
                                                    problems="; ".join(found)))
        if q.id in seen:
            problems.append(DUPLICATE_ID.format(where=_where(q), id=q.id))
        seen.add(q.id)
    return problems


@transaction.atomic
def bank_store(*, questions: list[bank.Question]) -> int:
    """Insert or update each question by id, all or nothing. Returns how many were stored.

    Raises bank.BankError (listing every problem) before writing anything when a question is
    unsound; a database error part-way rolls the whole batch back.
    """
    if problems := bank_check(questions=questions):
        raise bank.BankError("\n".join(problems))
    for q in questions:
        row, _ = Question.objects.update_or_create(
            bank_id=q.id,
            defaults=dict(
                type=q.type, stem=q.stem, domain=q.domain, dva_domain=q.dva_domain,
                exams=" ".join(q.exam),
                patterns=" ".join(q.patterns), services=" ".join(q.services),
                difficulty=q.difficulty, link=q.link, scenario=q.scenario,
                labs=" ".join(q.labs),
                source=f"{q.source_file}:{q.source_line}" if q.source_file else "",
            ),
        )
        row.options.all().delete()
        Option.objects.bulk_create(
            Option(question=row, position=n, text=o.text, correct=o.correct, why=o.why)
            for n, o in enumerate(q.options)
        )
    return len(questions)


def question_to_bank(*, question: Question) -> bank.Question:
    """A stored question (with any admin edits) as the bank's dataclass, for export."""
    file, _, line = question.source.rpartition(":")
    return bank.Question(
        id=question.bank_id, type=question.type, stem=question.stem, domain=question.domain,
        dva_domain=question.dva_domain,
        options=tuple(bank.Option(text=o.text, correct=o.correct, why=o.why)
                      for o in question.options.all()),
        exam=tuple(question.tags("exams")), patterns=tuple(question.tags("patterns")),
        services=tuple(question.tags("services")), difficulty=question.difficulty,
        link=question.link, scenario=question.scenario, labs=tuple(question.tags("labs")),
        source_file=file, source_line=int(line) if line.isdigit() else 0,
    )


def bank_export(*, queryset=None) -> list[bank.Question]:
    queryset = Question.objects.all() if queryset is None else queryset
    return [question_to_bank(question=q) for q in queryset.prefetch_related("options")]
