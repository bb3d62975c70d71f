"""The pages: joining, the class page for staff and students, creating assignments, the
dashboard with and without HX-Request, the gradebook and its CSV."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from classrooms.assignments import assignment_create
from classrooms.models import Assignment, Membership, RosterEntry, Submission
from classrooms.services import WRONG_CODE


@pytest.fixture
def lab(classroom):
    return assignment_create(classroom=classroom, title="Orders API", pattern="rest-api")


def test_anonymous_visitors_are_sent_to_sign_in(client, classroom):
    response = client.get("/classes/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_join_link_fills_the_form_and_posting_it_joins(client, classroom, make_user):
    client.force_login(make_user("ada"))
    page = client.get(f"/classes/join/{classroom.join_code}/")
    assert f'value="{classroom.join_code}"' in page.content.decode()
    response = client.post("/classes/join/", {"code": classroom.join_code})
    assert response.status_code == 302
    assert Membership.objects.filter(user__username="ada", classroom=classroom).exists()
    assert classroom.name in client.get(response["Location"]).content.decode()


def test_a_wrong_code_is_shown_on_the_form(client, classroom, make_user):
    client.force_login(make_user("ada"))
    response = client.post("/classes/join/", {"code": "WRONG2"})
    assert response.status_code == 400
    assert WRONG_CODE.format(code="WRONG2").replace("'", "&#x27;") in response.content.decode()


def test_instructor_creates_a_class_and_sees_its_code(client, instructor):
    client.force_login(instructor)
    response = client.post("/classes/new/", {"name": "Spring cohort"}, follow=True)
    page = response.content.decode()
    assert "Spring cohort" in page
    assert 'id="join-code"' in page


def test_a_student_cannot_create_a_class(client, student):
    client.force_login(student)
    assert client.post("/classes/new/", {"name": "Mine"}).status_code == 403


def test_creating_an_assignment_with_due_before_opening_shows_the_error(client, instructor,
                                                                       classroom):
    client.force_login(instructor)
    response = client.post(f"/classes/{classroom.pk}/assignments/new/", {
        "title": "Orders", "kind": "lab", "pattern": "rest-api", "attempts_allowed": 1,
        "show_answers": "at_once", "late_policy": "refuse", "late_penalty_percent": 0,
        "opens_at": "2026-12-10T10:00", "due_at": "2026-12-09T10:00", "tz": "Europe/Paris"})
    assert response.status_code == 400
    assert "The due date is before the opening date." in response.content.decode()
    assert not Assignment.objects.exists()


def test_creating_an_assignment_reads_dates_in_the_browsers_zone(client, instructor, classroom):
    client.force_login(instructor)
    response = client.post(f"/classes/{classroom.pk}/assignments/new/", {
        "title": "Orders", "kind": "lab", "pattern": "rest-api", "attempts_allowed": 1,
        "show_answers": "at_once", "late_policy": "penalty", "late_penalty_percent": 10,
        "opens_at": "2026-12-10T10:00", "due_at": "2026-12-11T10:00", "tz": "Europe/Paris",
        "checks": "- {id: stored, kind: item_count, title: Stored, table: OrdersTable}"})
    found = Assignment.objects.get()
    assert response.status_code == 302
    assert found.opens_at.isoformat() == "2026-12-10T09:00:00+00:00"
    assert [c["id"] for c in found.checks] == ["stored"]


def test_a_check_naming_a_missing_resource_is_refused_on_the_form(client, instructor,
                                                                  classroom):
    client.force_login(instructor)
    response = client.post(f"/classes/{classroom.pk}/assignments/new/", {
        "title": "Orders", "kind": "lab", "pattern": "rest-api", "attempts_allowed": 1,
        "show_answers": "at_once", "late_policy": "refuse", "late_penalty_percent": 0,
        "checks": "- {id: dlq, kind: queue_has_messages, title: DLQ, queue: DeadLetters}"})
    assert response.status_code == 400
    assert "DeadLetters" in response.content.decode()
    assert not Assignment.objects.exists()


def test_roster_upload_with_bad_rows_lists_them_and_imports_nothing(client, instructor,
                                                                   classroom):
    client.force_login(instructor)
    upload = SimpleUploadedFile("roster.csv", b"username,email,name\nada,bad,Ada\n")
    response = client.post(f"/classes/{classroom.pk}/roster/", {"csv_file": upload})
    assert response.status_code == 400
    assert "line 2: &#x27;bad&#x27; is not an email" in response.content.decode()
    assert not RosterEntry.objects.exists()


def test_the_student_page_lists_assignments_with_status_and_score(client, student, lab):
    Submission.objects.create(assignment=lab, student=student, status=Submission.PASSED,
                              score=75, results=[])
    client.force_login(student)
    page = client.get(f"/classes/{lab.classroom_id}/").content.decode()
    assert "Orders API" in page
    assert "Passed" in page and "75" in page


def test_the_dashboard_full_page_and_its_polled_fragment(client, instructor, student, lab):
    Submission.objects.create(
        assignment=lab, student=student, status=Submission.FAILED, score=50,
        results=[{"id": "scenario:create-then-get", "title": "x", "passed": False,
                  "message": "502", "hint": "", "error_type": "RuntimeError"},
                 {"id": "orders-stored", "title": "y", "passed": True, "message": "",
                  "hint": "", "error_type": ""}])
    client.force_login(instructor)
    url = f"/classes/{lab.classroom_id}/a/{lab.pk}/dashboard/"
    full = client.get(url).content.decode()
    assert "<html" in full and 'hx-trigger="every 3s"' in full
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment
    assert fragment.lstrip().startswith('<section id="grid"')
    assert "Failed: RuntimeError" in fragment
    assert "1 student: RuntimeError (Scenario passes: Create two orders" in fragment


def test_gradebook_csv_has_one_column_per_assignment(client, instructor, student,
                                                    other_student, lab, classroom):
    now = timezone.now()
    earlier = assignment_create(classroom=classroom, title="Second lab", pattern="async-queue",
                                  opens_at=now - timedelta(days=1))
    Submission.objects.create(assignment=lab, student=student, status=Submission.PASSED,
                              score=100, results=[])
    Submission.objects.create(assignment=earlier, student=student,
                              status=Submission.FAILED, score=40, late=True, results=[])
    client.force_login(instructor)
    response = client.get(f"/classes/{classroom.pk}/gradebook.csv")
    assert response["Content-Type"] == "text/csv"
    lines = response.content.decode().splitlines()
    assert lines[0] == "username,email,Second lab,Orders API"  # in opening order
    assert "olga,olga@example.edu,," in lines
    assert "sam,sam@example.edu,40,100" in lines
    page = client.get(f"/classes/{classroom.pk}/gradebook/").content.decode()
    assert "(late)" in page


def test_the_pattern_page_shows_a_students_assignment_tasks_beside_run(client, student, lab):
    client.force_login(student)
    page = client.get("/patterns/rest-api/").content.decode()
    assert "Assignment: " in page and "Orders API" in page
    assert "OrdersTable holds at least one order" in page
    assert f'action="/classes/{lab.classroom_id}/a/{lab.pk}/check/"' in page
    assert page.index("Check my work") < page.index("Run: Create two orders")
    assert 'href="/classes/"' in page  # the nav's Classes link, when signed in
    assert "Orders API" not in client.get("/patterns/async-queue/").content.decode()


def test_the_pattern_page_shows_no_assignment_to_others(client, stranger, lab):
    client.force_login(stranger)
    assert "Orders API" not in client.get("/patterns/rest-api/").content.decode()
    client.logout()
    page = client.get("/patterns/rest-api/").content.decode()
    assert "Orders API" not in page and 'href="/classes/"' not in page


def test_instructor_closes_joining_and_regenerates_the_code(client, instructor, classroom):
    client.force_login(instructor)
    old = classroom.join_code
    client.post(f"/classes/{classroom.pk}/settings/", {"joining": "close"})
    classroom.refresh_from_db()
    assert not classroom.joining_open
    page = client.post(f"/classes/{classroom.pk}/settings/", {"regenerate": "1"},
                       follow=True).content.decode()
    classroom.refresh_from_db()
    assert classroom.join_code != old and classroom.join_code in page
    assert "joining is <strong>closed</strong>" in page


def test_instructor_adds_a_ta_and_removes_a_student(client, instructor, classroom, student,
                                                    make_user):
    make_user("tia")
    client.force_login(instructor)
    client.post(f"/classes/{classroom.pk}/tas/", {"username": "tia"})
    assert Membership.objects.get(user__username="tia").role == Membership.TA
    client.post(f"/classes/{classroom.pk}/members/{student.pk}/remove/")
    assert not Membership.objects.filter(user=student).exists()
    page = client.post(f"/classes/{classroom.pk}/tas/", {"username": "ghost"},
                       follow=True).content.decode()
    assert "No user &#x27;ghost&#x27;." in page


def test_an_extension_through_the_dashboard(client, instructor, student, lab):
    client.force_login(instructor)
    url = f"/classes/{lab.classroom_id}/a/{lab.pk}/extension/"
    page = client.post(url, {"username": "sam", "due_at": "2030-01-02T10:00",
                             "tz": "America/New_York"}, follow=True).content.decode()
    assert "sam now has until 2030-01-02 10:00" in page
    assert lab.extensions.get(student=student).due_at.isoformat() == "2030-01-02T15:00:00+00:00"
    page = client.post(url, {"username": "ines", "due_at": "2030-01-02T10:00"},
                       follow=True).content.decode()
    assert "&#x27;ines&#x27; is not a student of this class." in page
