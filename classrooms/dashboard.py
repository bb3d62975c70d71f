"""The instructor's live view of an assignment (students x tasks) and the class gradebook."""

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Max
from django.utils import timezone

from patterns.lab import learner_for_user
from patterns.models import FixItDraft, RunRecord

from .fixit_catalog import fixit_tasks
from .grading import lab_tasks
from .models import Assignment, AssignmentVisit, Classroom, Submission
from .services import students_of

NOT_STARTED, RUNNING, PASSED, FAILED = "not-started", "running", "passed", "failed"


@dataclass
class Cell:
    state: str
    error_type: str = ""
    message: str = ""


@dataclass
class Row:
    student: object
    cells: list[Cell]
    last_active: datetime | None
    submission: Submission | None


@dataclass
class Grid:
    tasks: list[dict]
    rows: list[Row]
    summary: list[str] = field(default_factory=list)  # what is failing, most common first


def _tasks(assignment: Assignment) -> list[dict]:
    if assignment.kind == Assignment.LAB:
        return lab_tasks(assignment=assignment)
    if assignment.kind == Assignment.FIX:
        return fixit_tasks(assignment=assignment)
    return [{"id": q, "title": q} for q in assignment.question_ids]


def latest_submissions(*, assignment: Assignment) -> dict[int, Submission]:
    latest = {}
    for s in assignment.submissions.order_by("at", "pk"):
        latest[s.student_id] = s
    return latest


def assignment_visit(*, assignment: Assignment, student) -> None:
    """Note that the student has the assignment's page open now."""
    AssignmentVisit.objects.update_or_create(assignment=assignment, student=student,
                                             defaults={"at": timezone.now()})


def last_active(*, assignment: Assignment, students: list) -> dict[int, datetime]:
    """Per student id, their latest sign of work on the assignment: a submission, a visit
    of its page, or (a lab) a run of its pattern in their sandbox (patterns' run history), or
    (a fix-it lab) their latest save or try of the fix-it."""
    found: dict[int, datetime] = {}

    def seen(student_id, at):
        if at is not None and (student_id not in found or at > found[student_id]):
            found[student_id] = at

    for student_id, at in assignment.submissions.values("student_id").annotate(
            at=Max("at")).values_list("student_id", "at"):
        seen(student_id, at)
    for student_id, at in assignment.visits.values_list("student_id", "at"):
        seen(student_id, at)
    if assignment.kind == Assignment.LAB and students:
        by_learner = {learner_for_user(s): s.pk for s in students}
        for learner, at in RunRecord.objects.filter(
                learner__in=list(by_learner), pattern=assignment.pattern).values(
                "learner").annotate(at=Max("created")).values_list("learner", "at"):
            seen(by_learner[learner], at)
    if assignment.kind == Assignment.FIX and students:  # a try or save on the fix-it page
        by_learner = {learner_for_user(s): s.pk for s in students}
        for learner, at in FixItDraft.objects.filter(
                learner__in=list(by_learner), pattern=assignment.pattern,
                fixit=assignment.fixit).values_list("learner", "updated_at"):
            seen(by_learner[learner], at)
    return found


def dashboard_grid(*, assignment: Assignment) -> Grid:
    tasks = _tasks(assignment)
    latest = latest_submissions(assignment=assignment)
    students = list(students_of(classroom=assignment.classroom))
    active = last_active(assignment=assignment, students=students)
    rows, failing = [], Counter()
    for student in students:
        submission = latest.get(student.pk)
        if submission is None:
            cells = [Cell(NOT_STARTED) for _ in tasks]
        elif submission.status == Submission.RUNNING:
            cells = [Cell(RUNNING) for _ in tasks]
        else:
            by_id = {r["id"]: r for r in submission.results}
            cells = []
            for task in tasks:
                result = by_id.get(task["id"])
                if result is None:
                    cells.append(Cell(NOT_STARTED))
                elif result["passed"]:
                    cells.append(Cell(PASSED))
                else:
                    cells.append(Cell(FAILED, result.get("error_type", ""), result["message"]))
                    failing[(result.get("error_type") or "Failed", result.get("where", ""),
                             task["title"])] += 1
        rows.append(Row(student=student, cells=cells, submission=submission,
                        last_active=active.get(student.pk)))
    summary = [f"{n} student{'s' if n != 1 else ''}: {error}"
               + (f" from {where}" if where else "") + f" ({title})"
               for (error, where, title), n in failing.most_common()]
    return Grid(tasks=tasks, rows=rows, summary=summary)


@dataclass
class GradebookRow:
    student: object
    scores: list[tuple[float | None, bool]]  # (score, late) per assignment


def gradebook(*, classroom: Classroom) -> tuple[list[Assignment], list[GradebookRow]]:
    assignments = list(classroom.assignments.all())
    latest = {a.pk: latest_submissions(assignment=a) for a in assignments}
    rows = []
    for student in students_of(classroom=classroom):
        scores = []
        for a in assignments:
            s = latest[a.pk].get(student.pk)
            scores.append((s.score, s.late) if s and s.score is not None else (None, False))
        rows.append(GradebookRow(student=student, scores=scores))
    return assignments, rows


def gradebook_csv(*, classroom: Classroom) -> str:
    """username, email, then one column per assignment (its score out of 100), the shape
    Canvas's and Moodle's grade import map by username or email."""
    assignments, rows = gradebook(classroom=classroom)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["username", "email", *(a.title for a in assignments)])
    for row in rows:
        writer.writerow([row.student.username, row.student.email,
                         *("" if score is None else f"{score:g}" for score, _ in row.scores)])
    return out.getvalue()
