"""Assignments: making one (with its checks validated against the pattern), due dates with
extensions, and whether work handed in now is on time, late, or refused."""

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from patterns.catalog import pattern_get

from .checks import CheckError, checks_for_pattern, checks_validate
from .models import Assignment, Classroom, Extension

DUE_BEFORE_OPENING = "The due date is before the opening date."
UNKNOWN_PATTERN = "No pattern {slug!r}."
UNKNOWN_SCENARIO = "The pattern {slug!r} has no scenario {scenario!r}."
NO_QUESTIONS = "A quiz needs at least one question."
UNKNOWN_QUESTIONS = "No question with the id(s): {ids}."
NOT_OPEN = "This assignment opens at {opens:%Y-%m-%d %H:%M} UTC."
LATE_REFUSED = "The due date has passed and this assignment does not accept late work."
NO_ATTEMPTS_LEFT = "You have used all {count} attempt(s)."


def assignment_validate(*, assignment: Assignment) -> None:
    """Raise ValidationError naming every problem; nothing is saved."""
    errors = []
    if assignment.due_at and assignment.opens_at and assignment.due_at <= assignment.opens_at:
        errors.append(DUE_BEFORE_OPENING)
    if assignment.kind == Assignment.LAB:
        pattern = pattern_get(assignment.pattern)
        if pattern is None:
            raise ValidationError(errors + [UNKNOWN_PATTERN.format(slug=assignment.pattern)])
        errors += [UNKNOWN_SCENARIO.format(slug=pattern.slug, scenario=s)
                   for s in assignment.scenarios if s not in pattern.scenarios]
        try:
            checks_validate(pattern=pattern, checks=assignment.checks)
        except CheckError as e:
            errors += e.errors
    elif assignment.kind == Assignment.FIX:
        from .fixit_catalog import fixit_errors

        errors += fixit_errors(assignment=assignment)
    else:
        from .question_pool import questions_usable

        if not assignment.question_ids:
            errors.append(NO_QUESTIONS)
        usable = questions_usable(classroom_id=assignment.classroom_id)
        known = set(usable.filter(bank_id__in=assignment.question_ids)
                    .values_list("bank_id", flat=True))
        if missing := [q for q in assignment.question_ids if q not in known]:
            errors.append(UNKNOWN_QUESTIONS.format(ids=", ".join(missing)))
    if errors:
        raise ValidationError(errors)


def assignment_create(*, classroom: Classroom, title: str, kind: str = Assignment.LAB,
                      pattern: str = "", fixit: str = "", scenarios: list[str] | None = None,
                      checks: list[dict] | None = None, question_ids: list[str] | None = None,
                      opens_at: datetime | None = None, due_at: datetime | None = None,
                      late_policy: str = Assignment.REFUSE, late_penalty_percent: int = 0,
                      attempts_allowed: int = 1,
                      show_answers: str = Assignment.AT_ONCE) -> Assignment:
    """A lab (pattern, scenarios, checks: the pattern's default checks unless given), a
    fix-it lab (pattern, fixit: the slug of one of its fix-its) or a quiz (question ids).
    Open labs start deploying into each student's sandbox."""
    if kind == Assignment.LAB and (found := pattern_get(pattern)):
        if checks is None:
            checks = [c for c in checks_for_pattern(pattern=found) if c.get("default")]
        if scenarios is None:
            scenarios = [found.default_scenario.slug]
    assignment = Assignment(
        classroom=classroom, title=title.strip() or pattern, kind=kind, pattern=pattern,
        fixit=fixit if kind == Assignment.FIX else "",
        scenarios=scenarios or [], checks=checks or [], question_ids=question_ids or [],
        opens_at=opens_at or timezone.now(), due_at=due_at, late_policy=late_policy,
        late_penalty_percent=late_penalty_percent, attempts_allowed=attempts_allowed,
        show_answers=show_answers)
    assignment_validate(assignment=assignment)
    assignment.save()
    from .hot_start import hot_start_assignment

    transaction.on_commit(lambda: hot_start_assignment(assignment=assignment))
    return assignment


def assignment_checks_update(*, assignment: Assignment, checks: list[dict]) -> Assignment:
    assignment.checks = checks
    assignment_validate(assignment=assignment)
    assignment.save(update_fields=["checks"])
    return assignment


def extension_grant(*, assignment: Assignment, student, due_at: datetime) -> Extension:
    if due_at <= assignment.opens_at:
        raise ValidationError(DUE_BEFORE_OPENING)
    extension, _ = Extension.objects.update_or_create(assignment=assignment, student=student,
                                                      defaults={"due_at": due_at})
    return extension


def due_for(*, assignment: Assignment, student) -> datetime | None:
    extension = assignment.extensions.filter(student=student).first()
    return extension.due_at if extension else assignment.due_at


@dataclass
class Timing:
    late: bool
    penalty_percent: int


def submission_timing(*, assignment: Assignment, student, at: datetime | None = None) -> Timing:
    """Whether work handed in at `at` counts, and its penalty; ValidationError if refused."""
    at = at or timezone.now()
    if at < assignment.opens_at:
        raise ValidationError(NOT_OPEN.format(opens=assignment.opens_at))
    due = due_for(assignment=assignment, student=student)
    if due is None or at <= due:
        return Timing(late=False, penalty_percent=0)
    if assignment.late_policy == Assignment.REFUSE:
        raise ValidationError(LATE_REFUSED)
    return Timing(late=True, penalty_percent=assignment.late_penalty_percent)


def assignment_is_open(*, assignment: Assignment, at: datetime | None = None) -> bool:
    return assignment.opens_at <= (at or timezone.now())
