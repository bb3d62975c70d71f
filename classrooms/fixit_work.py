"""Fix-it labs as assignments (issue 16): the instructor names one of a pattern's fix-its;
the student repairs it on the fix-it page, in their own sandbox; "Hand in" runs the fix-it's
checks against what is deployed there now, and keeps the results, the trace and the files
the student had in the editor, so their teacher sees the code that was graded."""

from django.core.exceptions import ValidationError

from patterns.fixits import FixIt, FixItResult, fixit_checks_run
from patterns.lab import lab_client, learner_for_user
from patterns.models import FixItDraft, fixit_draft_get
from serverless_lab.cloud.client import LabCloudError

from .assignments import submission_timing
from .checks import CheckResult
from .fixit_catalog import assignment_fixit, fixit_errors
from .grading import _penalised
from .models import Assignment, Submission
from .signals import score_changed

NOT_A_FIXIT = "This assignment is not a fix-it lab."
NOT_DEPLOYED = ("Nothing of this fix-it is deployed in your sandbox: open the fix-it page, "
                "edit and try your fix, then hand it in.")


# Shown to the teacher beside the code, and to the student beside their result.
SOLUTION_SHOWN = "The solution was shown on the fix-it page at {at:%Y-%m-%d %H:%M} UTC."
LAST_TRY_REFUSED = ("The last try before this hand-in was not deployed (the lab cloud refused "
                    "it): the sandbox that was graded runs an earlier version than these files.")


def handed_in_files(*, draft: FixItDraft | None, fixit: FixIt) -> dict[str, str]:
    """The editable files as the student has them on the fix-it page: their draft over the
    start files (what they last sent; what their last try deployed unless it was refused)."""
    saved = draft.files if draft else {}
    return {path: saved.get(path, text) for path, text in fixit.start_files().items()}


def handed_in_notices(*, draft: FixItDraft | None) -> list[str]:
    """What the teacher should know beside the files: the solution seen, a refused last try."""
    notices = []
    if draft and draft.solution_shown_at:
        notices.append(SOLUTION_SHOWN.format(at=draft.solution_shown_at))
    if draft and draft.last_result and not draft.last_result.get("deployed", True):
        notices.append(LAST_TRY_REFUSED)
    return notices


def _results(fixit: FixIt, result: FixItResult, *, hint: str) -> list[dict]:
    """One result per check of the fix-it (a check that did not run failed, saying why)."""
    outcomes = {o.id: o for o in result.checks}
    why_not = "; ".join(e.message for e in result.errors) or NOT_DEPLOYED
    results = []
    for check in fixit.checks:
        outcome = outcomes.get(check.id)
        if outcome is None:
            results.append(CheckResult(id=check.id, title=check.title, passed=False,
                                       message=why_not, hint=hint, error_type="NotDeployed"))
        else:
            results.append(CheckResult(
                id=check.id, title=check.title, passed=outcome.passed, message=outcome.message,
                hint="" if outcome.passed else hint,
                error_type="" if outcome.passed else "CheckFailed"))
    return [r.as_json() for r in results]


def _next_hint(*, assignment: Assignment, student, fixit: FixIt) -> str:
    """Hint k after the k-th failed hand-in, as the fix-it page gives them after tries."""
    failed = assignment.submissions.filter(student=student, status=Submission.FAILED).count()
    return fixit.hints[min(failed, len(fixit.hints) - 1)]


def fixit_work_check(*, assignment: Assignment, student) -> Submission:
    """Hand in: the fix-it's checks against what the student has deployed now; score = checks
    passed / checks x 100, after any late penalty. Refused (ValidationError) before opening,
    or late under a refuse policy. The Submission shows as running meanwhile."""
    if assignment.kind != Assignment.FIX:
        raise ValidationError(NOT_A_FIXIT)
    found = assignment_fixit(assignment=assignment)
    if found is None:
        raise ValidationError(fixit_errors(assignment=assignment) or [NOT_A_FIXIT])
    pattern, fixit = found
    timing = submission_timing(assignment=assignment, student=student)
    hint = _next_hint(assignment=assignment, student=student, fixit=fixit)
    learner = learner_for_user(student)
    draft = fixit_draft_get(learner=learner, pattern=pattern.slug, fixit=fixit.slug)
    submission = Submission.objects.create(
        assignment=assignment, student=student, late=timing.late,
        files=handed_in_files(draft=draft, fixit=fixit),
        notices=handed_in_notices(draft=draft))
    try:
        result = fixit_checks_run(client=lab_client(), learner=learner, pattern=pattern,
                                  fixit=fixit)
    except LabCloudError as e:
        result = None
        results = [CheckResult(id="lab", title="The lab cloud", passed=False, message=str(e),
                               error_type="LabCloudError").as_json()]
    except BaseException as e:  # never left "running" on the dashboard
        submission.status = Submission.FAILED
        submission.results = [CheckResult(id="lab", title="Grading", passed=False,
                                          message="Grading stopped with an error.",
                                          error_type=type(e).__name__).as_json()]
        submission.save()
        raise
    else:
        results = _results(fixit, result, hint=hint)
    passed = sum(r["passed"] for r in results)
    submission.results = results
    submission.trace = [result.trace.as_json()] if result and result.trace else []
    submission.score = _penalised(100.0 * passed / len(fixit.checks), late=timing.late,
                                  assignment=assignment) if result else 0.0
    submission.status = (Submission.PASSED if result and result.passed
                         and all(r["passed"] for r in results) else Submission.FAILED)
    submission.save()
    score_changed.send(sender=Submission, submission=submission)
    return submission
