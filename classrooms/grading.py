"""Check my work: run the lab's scenarios in the student's sandbox, evaluate its checks,
and keep a Submission with the score and the trace it was graded on. Re-grading evaluates
the (possibly changed) checks again for each student's latest work."""

import re

from django.core.exceptions import ValidationError
from django.utils import timezone

from patterns.catalog import pattern_get
from patterns.lab import lab_client, learner_for_user
from patterns.runs import run_scenario
from serverless_lab.cloud.client import LabCloudError

from .assignments import submission_timing
from .checks import CheckResult, StudentSandbox, check_evaluate
from .models import Assignment, Submission
from .services import students_of
from .signals import score_changed

NOT_A_LAB = "This assignment is not a lab."
AWS_ERROR = re.compile(r"An error occurred \((\w+)\) when calling the (\w+) operation")
_SERVICE_NAMES = {"dynamodb": "DynamoDB", "sqs": "SQS", "sns": "SNS", "s3": "S3",
                  "lambda": "Lambda", "events": "EventBridge", "kinesis": "Kinesis",
                  "states": "Step Functions"}


def lab_tasks(*, assignment: Assignment) -> list[dict]:
    """What the student must do, in order: each scenario, then each check (id, title, hint)."""
    pattern = pattern_get(assignment.pattern)
    tasks = []
    for slug in assignment.scenarios:
        scenario = pattern.scenarios.get(slug) if pattern else None
        tasks.append({"id": f"scenario:{slug}", "kind": "scenario", "scenario": slug,
                      "title": f"Scenario passes: {scenario.title if scenario else slug}",
                      "hint": "Run it on the pattern page and read the first failed expectation."})
    tasks += [{"id": c["id"], "kind": c["kind"], "title": c["title"], "hint": c.get("hint", "")}
              for c in assignment.checks]
    return tasks


def run_failure(run: dict) -> tuple[str, str]:
    """A failed run's error type and where it happened (e.g. DynamoDB PutItem): a function's
    error first, then an AWS call that failed, then the first unmet expectation."""
    if run.get("error"):
        return "DeployFailed" if run["error"].startswith("deploy failed") else "RunError", ""
    steps = run.get("steps", [])
    for step in steps:
        for event in step.get("events", []):
            if event["type"] == "invocation" and event.get("error"):
                error = event["error"] if isinstance(event["error"], dict) else {}
                # A handler that let boto3's ClientError escape: name the AWS error and call.
                if found := AWS_ERROR.search(error.get("errorMessage", "")):
                    code, operation = found.groups()
                    service = next((e.get("service", "") for e in step["events"]
                                    if e["type"] == "api_call"
                                    and e.get("operation") == operation), "")
                    return code, f"{_SERVICE_NAMES.get(service, service)} {operation}".strip()
                return (error.get("errorType", "Error"),
                        f"Lambda {event.get('function_name', '')}".strip())
    for step in steps:
        for event in step.get("events", []):
            if event["type"] == "api_call" and (event.get("status") or 0) >= 400:
                return (f"HTTP {event['status']}",
                        f"{event.get('service', '')} {event.get('operation', '')}".strip())
    failed = next((x for x in run.get("expectations", []) if not x["passed"]), None)
    return ("ExpectationFailed", f"{failed['step']}: {failed['check']}") if failed else ("", "")


def _scenario_result(task: dict, runs: list[dict]) -> CheckResult:
    run = next((r for r in runs if r.get("scenario") == task["scenario"]), None)
    if run is None:
        return CheckResult(id=task["id"], title=task["title"], passed=False,
                           message="Not run.", hint=task["hint"], error_type="NotRun")
    if run.get("ok"):
        return CheckResult(id=task["id"], title=task["title"], passed=True,
                           message=f"Passed in {run.get('duration_ms', 0):.0f} ms.")
    error_type, where = run_failure(run)
    failed = [x for x in run.get("expectations", []) if not x["passed"]]
    message = run.get("error") or "; ".join(
        f"{x['step']}: {x['check']} expected {x['expected']!r}, got {x['actual']!r}"
        for x in failed[:3]) or "Failed."
    return CheckResult(id=task["id"], title=task["title"], passed=False, message=message,
                       hint=task["hint"] + (f" Look at {where}." if where else ""),
                       error_type=error_type, where=where)


def _grade(*, assignment: Assignment, student, runs: list[dict]) -> tuple[list[dict], float]:
    pattern = pattern_get(assignment.pattern)
    client = lab_client()
    learner = learner_for_user(student)
    sandbox = StudentSandbox(found=client.sandbox(learner), stack=pattern.slug)
    results = []
    for task in lab_tasks(assignment=assignment):
        if task["kind"] == "scenario":
            results.append(_scenario_result(task, runs))
        else:
            check = next(c for c in assignment.checks if c["id"] == task["id"])
            results.append(check_evaluate(check=check, sandbox=sandbox, runs=runs))
    passed = sum(r.passed for r in results)
    return [r.as_json() for r in results], (100.0 * passed / len(results) if results else 0.0)


def _penalised(score: float, *, late: bool, assignment: Assignment) -> float:
    if late and assignment.late_policy == Assignment.PENALTY:
        return round(score * (100 - assignment.late_penalty_percent) / 100, 2)
    return round(score, 2)


def lab_work_check(*, assignment: Assignment, student) -> Submission:
    """Run the scenarios and the checks; refused (ValidationError) before opening, or late
    under a refuse policy. The Submission shows as running on the dashboard meanwhile."""
    if assignment.kind != Assignment.LAB:
        raise ValidationError(NOT_A_LAB)
    timing = submission_timing(assignment=assignment, student=student)
    submission = Submission.objects.create(assignment=assignment, student=student,
                                           late=timing.late)
    pattern = pattern_get(assignment.pattern)
    client, learner = lab_client(), learner_for_user(student)
    runs = []
    try:
        for slug in assignment.scenarios:
            if slug in pattern.scenarios:  # else "Not run": the pattern dropped it since
                runs.append(run_scenario(client=client, learner=learner, pattern=pattern,
                                         scenario=pattern.scenarios[slug]).as_json())
        results, score = _grade(assignment=assignment, student=student, runs=runs)
    except LabCloudError as e:
        results, score = [CheckResult(id="lab", title="The lab cloud", passed=False,
                                      message=str(e), error_type="LabCloudError").as_json()], 0
    except BaseException as e:  # never left "running" on the dashboard
        submission.status, submission.trace = Submission.FAILED, runs
        submission.results = [CheckResult(id="lab", title="Grading", passed=False,
                                           message="Grading stopped with an error.",
                                           error_type=type(e).__name__).as_json()]
        submission.save()
        raise
    submission.trace, submission.results = runs, results
    submission.score = _penalised(score, late=timing.late, assignment=assignment)
    submission.status = (Submission.PASSED if results and all(r["passed"] for r in results)
                         else Submission.FAILED)
    submission.save()
    score_changed.send(sender=Submission, submission=submission)
    return submission


def assignment_regrade(*, assignment: Assignment) -> int:
    """Evaluate the assignment's current checks for each student's latest lab work, against
    the runs it was graded on and the sandbox as it is now; a new Submission each."""
    count = 0
    for student in students_of(classroom=assignment.classroom):
        latest = submission_latest(assignment=assignment, student=student)
        if latest is None or latest.status == Submission.RUNNING:
            continue
        try:
            results, score = _grade(assignment=assignment, student=student, runs=latest.trace)
        except LabCloudError:
            continue
        regraded = Submission.objects.create(
            assignment=assignment, student=student, trace=latest.trace, results=results,
            late=latest.late, at=timezone.now(),
            score=_penalised(score, late=latest.late, assignment=assignment),
            status=Submission.PASSED if all(r["passed"] for r in results) else Submission.FAILED)
        score_changed.send(sender=Submission, submission=regraded)
        count += 1
    return count


def submission_latest(*, assignment: Assignment, student) -> Submission | None:
    return assignment.submissions.filter(student=student).first()
