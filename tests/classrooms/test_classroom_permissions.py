"""Who may see what: a student only their own work and classes, a TA only their classes, an
instructor only their own classes. Every denial is a 404 (or 403 for a non-instructor
creating a class): the class does not exist for them."""

import pytest

from classrooms.assignments import assignment_create
from classrooms.models import Submission, ViewLog


@pytest.fixture
def lab(classroom):
    return assignment_create(classroom=classroom, title="Orders API", pattern="rest-api")


@pytest.fixture
def urls(classroom, lab, student):
    c, a = classroom.pk, lab.pk
    return {
        "class": ("get", f"/classes/{c}/"),
        "assignment": ("get", f"/classes/{c}/a/{a}/"),
        "check": ("post", f"/classes/{c}/a/{a}/check/"),
        "dashboard": ("get", f"/classes/{c}/a/{a}/dashboard/"),
        "dashboard-fragment": ("htmx", f"/classes/{c}/a/{a}/dashboard/"),
        "work": ("get", f"/classes/{c}/a/{a}/students/{student.pk}/"),
        "reset": ("post", f"/classes/{c}/a/{a}/students/{student.pk}/reset/"),
        "regrade": ("post", f"/classes/{c}/a/{a}/regrade/"),
        "extension": ("post", f"/classes/{c}/a/{a}/extension/"),
        "gradebook": ("get", f"/classes/{c}/gradebook/"),
        "gradebook-csv": ("get", f"/classes/{c}/gradebook.csv"),
        "settings": ("post", f"/classes/{c}/settings/"),
        "roster": ("post", f"/classes/{c}/roster/"),
        "ta": ("post", f"/classes/{c}/tas/"),
        "remove": ("post", f"/classes/{c}/members/{student.pk}/remove/"),
        "new-assignment": ("post", f"/classes/{c}/assignments/new/"),
    }


def _fetch(client, how, url):
    if how == "htmx":
        return client.get(url, headers={"HX-Request": "true"})
    return getattr(client, how)(url, {"confirm": "yes"} if how == "post" else None)


STAFF_ONLY = ["dashboard", "dashboard-fragment", "work", "reset", "regrade", "extension",
              "gradebook", "gradebook-csv"]
INSTRUCTOR_ONLY = ["settings", "roster", "ta", "remove", "new-assignment"]


@pytest.mark.parametrize("name", ["class", "assignment", "check", *STAFF_ONLY,
                                  *INSTRUCTOR_ONLY])
def test_a_user_in_no_class_sees_nothing(client, stranger, urls, name):
    client.force_login(stranger)
    assert _fetch(client, *urls[name]).status_code == 404


@pytest.mark.parametrize("name", ["class", "assignment", *STAFF_ONLY, *INSTRUCTOR_ONLY])
def test_another_instructor_sees_nothing_of_this_class(client, other_instructor, urls, name):
    client.force_login(other_instructor)
    assert _fetch(client, *urls[name]).status_code == 404


@pytest.mark.parametrize("name", [*STAFF_ONLY, *INSTRUCTOR_ONLY])
def test_a_student_sees_no_staff_page_not_even_their_own_trace_view(client, student, urls,
                                                                    name):
    client.force_login(student)
    assert _fetch(client, *urls[name]).status_code == 404


def test_a_student_cannot_see_a_classmates_work(client, other_student, student, lab):
    Submission.objects.create(assignment=lab, student=student, status=Submission.PASSED,
                              score=100, results=[], trace=[{"scenario": "SECRET-RUN"}])
    client.force_login(other_student)
    page = client.get(f"/classes/{lab.classroom_id}/a/{lab.pk}/").content.decode()
    # Neither the classmate's trace nor their result ("score 100", as the owner's page says).
    assert "SECRET-RUN" not in page and "score" not in page and "Passed" not in page
    assert client.get(f"/classes/{lab.classroom_id}/a/{lab.pk}/students/{student.pk}/"
                      ).status_code == 404


@pytest.mark.parametrize("name", INSTRUCTOR_ONLY)
def test_a_ta_may_not_change_the_class(client, ta, urls, name):
    client.force_login(ta)
    assert _fetch(client, *urls[name]).status_code == 404


def test_a_ta_sees_the_dashboard_and_a_students_work_and_the_student_sees_the_view(
        client, ta, student, urls, lab):
    client.force_login(ta)
    assert _fetch(client, *urls["dashboard"]).status_code == 200
    assert _fetch(client, *urls["gradebook-csv"]).status_code == 200
    assert _fetch(client, *urls["work"]).status_code == 200
    assert ViewLog.objects.filter(viewer=ta, student=student, action=ViewLog.VIEWED).exists()
    client.force_login(student)
    page = client.get(f"/classes/{lab.classroom_id}/").content.decode()
    assert "tariq viewed your work" in page


def test_a_ta_of_one_class_sees_nothing_of_another(client, ta, other_instructor):
    other = other_instructor.classrooms_taught.get()
    client.force_login(ta)
    assert client.get(f"/classes/{other.pk}/").status_code == 404
    assert client.get(f"/classes/{other.pk}/gradebook.csv").status_code == 404


def test_a_student_of_another_class_cannot_open_this_classes_assignment(
        client, other_instructor, make_user, lab):
    from classrooms.services import classroom_join

    outsider = make_user("out")
    classroom_join(user=outsider, code=other_instructor.classrooms_taught.get().join_code)
    client.force_login(outsider)
    assert client.get(f"/classes/{lab.classroom_id}/a/{lab.pk}/").status_code == 404
