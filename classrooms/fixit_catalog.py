"""Which fix-it a fix-it lab assignment names (issue 16): validating the choice, the
fix-it's checks as the assignment's tasks, and the choices for the assignment form. It
imports nothing of classrooms but the models, so assignments.py may validate with it."""

from patterns.catalog import Pattern, catalog, pattern_get
from patterns.fixits import FixIt, pattern_fixits

from .models import Assignment

NO_FIXIT = "Pick one of the pattern's fix-its for a fix-it lab."
NO_FIXITS = "The pattern {slug!r} has no fix-it labs."
UNKNOWN_FIXIT = "The pattern {slug!r} has no fix-it {fixit!r}; its fix-its: {known}."


def fixit_errors(*, assignment: Assignment) -> list[str]:
    """What is wrong with a fix-it assignment's pattern and fix-it (empty when nothing)."""
    pattern = pattern_get(assignment.pattern)
    if pattern is None:
        return [f"No pattern {assignment.pattern!r}."]
    known = pattern_fixits(pattern)
    if not known:
        return [NO_FIXITS.format(slug=pattern.slug)]
    if not assignment.fixit:
        return [NO_FIXIT]
    if assignment.fixit not in known:
        return [UNKNOWN_FIXIT.format(slug=pattern.slug, fixit=assignment.fixit,
                                     known=", ".join(known))]
    return []


def assignment_fixit(*, assignment: Assignment) -> tuple[Pattern, FixIt] | None:
    """The pattern and fix-it the assignment names; None when either has gone since."""
    pattern = pattern_get(assignment.pattern)
    fixit = pattern_fixits(pattern).get(assignment.fixit) if pattern else None
    return (pattern, fixit) if fixit else None


def fixit_tasks(*, assignment: Assignment) -> list[dict]:
    """The fix-it's checks, in order: what the student must make pass."""
    found = assignment_fixit(assignment=assignment)
    if found is None:
        return []
    return [{"id": c.id, "kind": "fixit", "title": c.title, "hint": ""}
            for c in found[1].checks]


def fixit_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Every pattern's fix-its for the assignment form, grouped by pattern:
    (pattern title, [("<pattern>/<fix-it>", title)])."""
    groups = []
    for pattern in catalog().values():
        if fixits := pattern_fixits(pattern):
            groups.append((pattern.title, [(f"{pattern.slug}/{slug}", f.title)
                                           for slug, f in fixits.items()]))
    return groups
