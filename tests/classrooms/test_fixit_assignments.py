"""Fix-it labs as a classroom assignment (issue 16): the instructor names one of a pattern's
fix-its; "Hand in" grades what the student has deployed in their own sandbox with the
fix-it's checks and keeps the files they had on the fix-it page, which their teacher sees
(logged); nobody else sees either."""

from html import escape

import pytest

from classrooms.assignments import assignment_create
from classrooms.fixit_catalog import NO_FIXIT, UNKNOWN_FIXIT
from classrooms.forms import FIXIT_ON_ANOTHER_PATTERN
from classrooms.models import Assignment, Submission, ViewLog
from classrooms.signals import score_changed
from patterns.catalog import pattern_get
from patterns.fixits import fixit_try, pattern_fixits
from patterns.lab import learner_for_user
from patterns.models import fixit_draft_save

# A real fix-it of the catalog: its start lacks a permission; its solution grants it.
PATTERN = pattern_get("rest-api")
FIXIT = pattern_fixits(PATTERN)["missing-permission"]
FORM = {"title": "Fix it", "kind": "fix", "pattern": "", "attempts_allowed": 1,
        "show_answers": "at_once", "late_policy": "refuse", "late_penalty_percent": 0}


@pytest.fixture
def fix_lab(classroom):
    return assignment_create(classroom=classroom, title="Fix it", kind=Assignment.FIX,
                             pattern=PATTERN.slug, fixit=FIXIT.slug)


def _urls(assignment, student=None):
    base = f"/classes/{assignment.classroom_id}/a/{assignment.pk}/"
    return base, (f"{base}students/{student.pk}/" if student else None)


# -- making one -------------------------------------------------------------------------------

def test_an_instructor_makes_a_fixit_lab_on_the_form(client, instructor, classroom):
    client.force_login(instructor)
    page = client.get(f"/classes/{classroom.pk}/").content.decode()
    assert f'<option value="{PATTERN.slug}/{FIXIT.slug}">' in page  # the fix-its offered
    response = client.post(f"/classes/{classroom.pk}/assignments/new/",
                           {**FORM, "fixit": f"{PATTERN.slug}/{FIXIT.slug}"})
    found = Assignment.objects.get()
    assert response.status_code == 302
    assert (found.kind, found.pattern, found.fixit) == ("fix", PATTERN.slug, FIXIT.slug)
    assert found.checks == [] and found.scenarios == []
    dashboard = client.get(response["Location"]).content.decode()
    for check in FIXIT.checks:  # the fix-it's checks are the dashboard's columns
        assert f"<th>{escape(check.title)}</th>" in dashboard
    assert "Re-grade everyone" not in dashboard and "Save checks" not in dashboard


@pytest.mark.parametrize(("fields", "error"), [
    ({"fixit": f"{PATTERN.slug}/no-such-fixit"}, UNKNOWN_FIXIT),
    ({"pattern": PATTERN.slug, "fixit": ""}, NO_FIXIT),
    ({"pattern": "quiz-of-nothing", "fixit": FIXIT.slug}, None),  # not a pattern: form error
    ({"pattern": "scheduled-tasks", "fixit": f"{PATTERN.slug}/{FIXIT.slug}"},
     FIXIT_ON_ANOTHER_PATTERN.format(fixit=FIXIT.slug, its=PATTERN.slug,
                                     pattern="scheduled-tasks")),
])
def test_a_fixit_the_pattern_lacks_is_refused_on_the_form_and_nothing_is_saved(
        client, instructor, classroom, fields, error):
    client.force_login(instructor)
    response = client.post(f"/classes/{classroom.pk}/assignments/new/", {**FORM, **fields})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'role="alert"' in page or 'class="error"' in page
    if error == UNKNOWN_FIXIT:  # naming the fix-its the pattern has
        error = error.format(slug=PATTERN.slug, fixit="no-such-fixit",
                             known=", ".join(pattern_fixits(PATTERN)))
    if error:
        assert escape(error) in page
    assert not Assignment.objects.exists()


def test_making_one_is_for_the_instructor_of_the_class_only(
        client, classroom, student, other_instructor):
    for user in (student, other_instructor):
        client.force_login(user)
        response = client.post(f"/classes/{classroom.pk}/assignments/new/",
                               {**FORM, "fixit": f"{PATTERN.slug}/{FIXIT.slug}"})
        assert response.status_code == 404
    assert not Assignment.objects.exists()


# -- the student's page, and who may not see it -------------------------------------------------

def test_the_student_page_links_to_the_fixit_page_and_hands_in(client, fix_lab, student):
    client.force_login(student)
    base, _ = _urls(fix_lab)
    page = client.get(base).content.decode()
    assert f'href="/patterns/{PATTERN.slug}/fix/{FIXIT.slug}/"' in page
    assert escape(FIXIT.title) in page and ">Hand in</button>" in page
    for check in FIXIT.checks:
        assert escape(check.title) in page
    assert "Not handed in yet." in page


def test_strangers_to_the_class_cannot_open_it_or_hand_in(
        client, fix_lab, stranger, other_instructor):
    base, _ = _urls(fix_lab)
    for user in (stranger, other_instructor):
        client.force_login(user)
        assert client.get(base).status_code == 404
        assert client.post(base + "check/").status_code == 404
        assert client.get(base + "dashboard/").status_code == 404
    assert not Submission.objects.exists()


@pytest.mark.parametrize("htmx", [True, False])
def test_a_late_hand_in_is_refused_where_the_student_is(client, classroom, student, htmx):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    late = assignment_create(classroom=classroom, title="Fix it", kind=Assignment.FIX,
                             pattern=PATTERN.slug, fixit=FIXIT.slug,
                             opens_at=now - timedelta(days=2), due_at=now - timedelta(days=1))
    client.force_login(student)
    base, _ = _urls(late)
    if htmx:
        page = client.post(base + "check/", headers={"HX-Request": "true"}).content.decode()
    else:
        page = client.post(base + "check/", follow=True).content.decode()
    assert "The due date has passed and this assignment does not accept late work." in page
    assert not Submission.objects.exists()


# -- handing in, against a real lab cloud (the fix-it is deployed as the fix-it page's Try
#    does it: patterns.fixits.fixit_try with the draft's files) -------------------------

@pytest.fixture
def scores():
    """Each score_changed sent (what the LMS passback and the gradebook listen to)."""
    sent = []

    def receive(sender, submission, **kwargs):
        sent.append(submission)
    score_changed.connect(receive, weak=False)
    yield sent
    score_changed.disconnect(receive)


def _deploy(lab, student, files):
    """What the fix-it page's Try does: keep the draft, deploy it into the student's sandbox."""
    learner = learner_for_user(student)
    fixit_draft_save(learner=learner, pattern=PATTERN.slug, fixit=FIXIT.slug, files=files)
    return fixit_try(client=lab, learner=learner, pattern=PATTERN, fixit=FIXIT, files=files)


def test_the_unfixed_start_fails_then_the_solution_passes_in_the_gradebook(
        client, lab, lab_cloud, clean_sandbox, instructor, classroom, student, fix_lab,
        scores):
    clean_sandbox(student)
    base, _ = _urls(fix_lab)
    client.force_login(student)
    assert not _deploy(lab, student, FIXIT.start_files()).passed

    fragment = client.post(base + "check/", headers={"HX-Request": "true"}).content.decode()
    first = Submission.objects.get()
    failed = [r for r in first.results if not r["passed"]]
    assert fragment.lstrip().startswith('<section id="results"')
    assert first.status == Submission.FAILED and failed
    assert [r["id"] for r in first.results] == [c.id for c in FIXIT.checks]
    assert first.score == round(100 * (len(FIXIT.checks) - len(failed)) / len(FIXIT.checks), 2)
    assert first.score < 100
    assert f"Result: Failed, score {first.score:g}" in fragment
    for result in failed:  # each failing check named, with what went wrong and a hint
        assert f"<strong>{escape(result['title'])}</strong>: failed (CheckFailed)" in fragment
        assert result["message"] and result["hint"] == FIXIT.hints[0]
    assert first.files == FIXIT.start_files()
    assert first.trace and first.trace[0]["steps"]
    assert scores == [first]

    client.force_login(instructor)
    book = client.get(f"/classes/{classroom.pk}/gradebook/").content.decode()
    assert f"{first.score:g}" in book and "sam" in book
    csv = client.get(f"/classes/{classroom.pk}/gradebook.csv").content.decode()
    assert f"sam,sam@example.edu,{first.score:g}" in csv.splitlines()
    grid = client.get(base + "dashboard/", headers={"HX-Request": "true"}).content.decode()
    assert grid.count('class="cell-failed"') == len(failed)

    assert _deploy(lab, student, FIXIT.solution_files()).passed
    client.force_login(student)
    fragment = client.post(base + "check/", headers={"HX-Request": "true"}).content.decode()
    second = Submission.objects.filter(student=student).first()
    assert (second.status, second.score) == (Submission.PASSED, 100)
    assert "Result: Passed, score 100" in fragment
    assert second.files == FIXIT.solution_files() != first.files
    assert scores == [first, second]
    client.force_login(instructor)
    csv = client.get(f"/classes/{classroom.pk}/gradebook.csv").content.decode()
    assert "sam,sam@example.edu,100" in csv.splitlines()
    work = client.get(f"{base}students/{student.pk}/").content.decode()
    assert "OrdersTable" in work  # the fix-it's stack in their sandbox now
    grid = client.get(base + "dashboard/", headers={"HX-Request": "true"}).content.decode()
    assert grid.count('class="cell-passed"') == len(FIXIT.checks)


def test_the_teacher_sees_the_code_graded_logged_and_nobody_else_does(
        client, lab, lab_cloud, clean_sandbox, instructor, classroom, student, other_student,
        other_instructor, fix_lab):
    clean_sandbox(student)
    path = next(iter(FIXIT.start_files()))
    files = {**FIXIT.start_files()}
    files[path] += "\n# sam's own attempt\n"
    fixit_draft_save(learner=learner_for_user(student), pattern=PATTERN.slug,
                     fixit=FIXIT.slug, files=files)
    base, work = _urls(fix_lab, student)
    client.force_login(student)
    page = client.get(client.post(base + "check/")["Location"]).content.decode()
    handed_in = Submission.objects.get()
    # Nothing deployed yet: every check fails saying so, the files are kept all the same.
    assert handed_in.score == 0 and handed_in.status == Submission.FAILED
    assert {r["error_type"] for r in handed_in.results} == {"NotDeployed"}
    assert "nothing is deployed as" in handed_in.results[0]["message"]
    assert handed_in.files == files
    assert escape("# sam's own attempt") in page  # the student sees their own hand-in

    for outsider in (other_student, other_instructor):
        client.force_login(outsider)
        assert client.get(work).status_code == 404
    client.force_login(other_student)
    assert escape("# sam's own attempt") not in client.get(base).content.decode()
    assert not ViewLog.objects.exists()

    client.force_login(instructor)
    page = client.get(work).content.decode()
    assert "The code that was graded" in page
    assert f"<h3>{path}</h3>" in page and escape("# sam's own attempt") in page
    assert ViewLog.objects.filter(viewer=instructor, student=student,
                                  assignment=fix_lab).count() == 1
    client.force_login(student)
    assert "ines viewed your work" in client.get(f"/classes/{classroom.pk}/").content.decode()


def test_the_fixit_page_shows_the_students_assignment_and_hands_in_there(
        client, fix_lab, student, stranger):
    fixit_page = f"/patterns/{PATTERN.slug}/fix/{FIXIT.slug}/"
    base, _ = _urls(fix_lab)
    client.force_login(student)
    page = client.get(fixit_page).content.decode()
    assert f'href="{base}"' in page and ">Hand in</button>" in page
    assert f'action="{base}check/"' in page
    for check in FIXIT.checks:
        assert escape(check.title) in page
    # Not for someone outside the class, nor on the pattern's own page (labs only there).
    client.force_login(stranger)
    assert f'href="{base}"' not in client.get(fixit_page).content.decode()
    client.force_login(student)
    assert f'href="{base}"' not in client.get(f"/patterns/{PATTERN.slug}/").content.decode()


def test_late_work_under_a_penalty_is_scored_down(lab, lab_cloud, clean_sandbox, classroom,
                                                  student):
    from datetime import timedelta

    from django.utils import timezone

    from classrooms.fixit_work import fixit_work_check

    clean_sandbox(student)
    now = timezone.now()
    late = assignment_create(classroom=classroom, title="Fix it", kind=Assignment.FIX,
                             pattern=PATTERN.slug, fixit=FIXIT.slug,
                             opens_at=now - timedelta(days=2), due_at=now - timedelta(days=1),
                             late_policy=Assignment.PENALTY, late_penalty_percent=30)
    assert _deploy(lab, student, FIXIT.solution_files()).passed
    submission = fixit_work_check(assignment=late, student=student)
    assert submission.late and submission.status == Submission.PASSED
    assert submission.score == 70


def test_a_regrade_or_a_checks_change_of_a_fixit_lab_is_refused_saying_why(
        client, instructor, fix_lab):
    from classrooms.regrades import NOT_A_LAB

    client.force_login(instructor)
    base, _ = _urls(fix_lab)
    for action in ("regrade/", "checks/"):
        response = client.post(base + action, {"checks": "[]"})
        assert escape(NOT_A_LAB) in client.get(response["Location"]).content.decode()
    assert not fix_lab.regrades.exists()


def test_the_dashboard_counts_a_save_on_the_fixit_page_as_activity(fix_lab, student):
    from classrooms.dashboard import last_active

    learner = learner_for_user(student)
    fixit_draft_save(learner=learner, pattern=PATTERN.slug, fixit="another-fixit", files={})
    assert last_active(assignment=fix_lab, students=[student]) == {}
    draft = fixit_draft_save(learner=learner, pattern=PATTERN.slug, fixit=FIXIT.slug,
                             files=FIXIT.start_files())
    assert last_active(assignment=fix_lab, students=[student]) == {student.pk: draft.updated_at}


def test_the_classroom_command_assigns_a_fixit_lab_and_refuses_an_unknown_one(classroom,
                                                                             capsys):
    import json

    from django.core.management import call_command

    call_command("classroom", "assign", str(classroom.pk), PATTERN.slug, "--fixit",
                 FIXIT.slug, "--json")
    assigned = json.loads(capsys.readouterr().out)
    found = Assignment.objects.get(pk=assigned["id"])
    assert (found.kind, found.pattern, found.fixit) == ("fix", PATTERN.slug, FIXIT.slug)
    assert assigned["checks"] == [c.id for c in FIXIT.checks]
    with pytest.raises(SystemExit) as exited:
        call_command("classroom", "assign", str(classroom.pk), PATTERN.slug, "--fixit", "nope")
    assert exited.value.code == 1
    assert "has no fix-it 'nope'" in capsys.readouterr().err
    assert Assignment.objects.count() == 1


def test_a_hand_in_when_the_lab_cloud_is_down_says_so_and_is_not_left_running(
        client, fix_lab, student):
    # No lab cloud answers in this test (tests/classrooms/conftest.py points it nowhere).
    client.force_login(student)
    base, _ = _urls(fix_lab)
    fragment = client.post(base + "check/", headers={"HX-Request": "true"}).content.decode()
    handed_in = Submission.objects.get()
    assert handed_in.status == Submission.FAILED and handed_in.score == 0
    assert [r["id"] for r in handed_in.results] == ["lab"]  # LTI passback skips these
    assert "The lab cloud" in fragment and "(LabCloudError)" in fragment
    assert handed_in.files == FIXIT.start_files()


def test_the_teacher_is_told_when_the_solution_was_shown_or_the_last_try_refused(
        client, instructor, fix_lab, student):
    from django.utils import timezone

    from classrooms.fixit_work import LAST_TRY_REFUSED, SOLUTION_SHOWN

    shown = timezone.now()
    fixit_draft_save(learner=learner_for_user(student), pattern=PATTERN.slug,
                     fixit=FIXIT.slug, files=FIXIT.solution_files(), solution_shown_at=shown,
                     last_result={"deployed": False, "passed": False, "errors": [],
                                  "checks": []})
    base, work = _urls(fix_lab, student)
    client.force_login(student)
    client.post(base + "check/")  # no lab cloud answers here: the notices are kept anyway
    notices = [SOLUTION_SHOWN.format(at=shown), LAST_TRY_REFUSED]
    assert Submission.objects.get().notices == notices
    client.force_login(instructor)
    page = client.get(work).content.decode()
    for notice in notices:
        assert escape(notice) in page


def test_a_hand_in_with_nothing_unusual_has_no_notice(client, fix_lab, student):
    client.force_login(student)
    client.post(_urls(fix_lab)[0] + "check/")
    assert Submission.objects.get().notices == []
