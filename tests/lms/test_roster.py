"""Names and Role Provisioning: the instructor syncs the class roster from the LMS."""

import pytest
from django.test import Client
from lms_platform import INSTRUCTOR, LEARNER, ROLE, TEACHING_ASSISTANT
from lti_tool.models import LtiUser

from classrooms.models import Classroom, Membership
from classrooms.services import classroom_create, instructor_grant
from lms.roster import ROSTER_UNREACHABLE


def _member(sub, roles, status="Active", name=None):
    return {"user_id": sub, "roles": roles, "status": status, "name": name or sub,
            "given_name": (name or sub).split()[0], "family_name": "Example"}


@pytest.fixture
def classroom(instructor_client):
    return Classroom.objects.get()


def _roles(classroom):
    return {m.user.lti_users.get().sub: m.role
            for m in Membership.objects.filter(classroom=classroom).select_related("user")}


def test_the_instructor_brings_the_roster_from_the_lms(instructor_client, classroom, platform):
    platform.launch(Client(), sub="student-gone", roles=LEARNER)  # joined earlier, then left
    platform.members = [
        _member("teacher-1", INSTRUCTOR, name="Ines Teacher"),
        _member("student-1", LEARNER, name="Sam Student"),
        _member("student-2", LEARNER, name="Olga Student"),
        _member("ta-1", TEACHING_ASSISTANT, name="Tariq Assistant"),
        _member("student-gone", LEARNER, status="Inactive"),
        _member("observer-1", [f"{ROLE}#Mentor"], name="Pat Parent"),
    ]
    response = instructor_client.post(f"/lti/classes/{classroom.pk}/roster/", follow=True)
    assert response.redirect_chain[-1][0] == f"/classes/{classroom.pk}/gradebook/"
    assert "3 added, 1 removed, skipped: Pat Parent." in response.content.decode()
    assert _roles(classroom) == {"student-1": Membership.STUDENT,
                                 "student-2": Membership.STUDENT, "ta-1": Membership.TA}
    # The accounts made are the ones a later launch signs into: matched by subject.
    made = LtiUser.objects.get(sub="student-1").auth_user
    again = Client()
    platform.launch(again, sub="student-1", roles=LEARNER)
    assert again.get("/classes/").wsgi_request.user == made
    classroom.lms_class.refresh_from_db()
    assert classroom.lms_class.roster_synced_at is not None


def test_an_unreachable_roster_changes_nothing(instructor_client, classroom, platform):
    platform.members = [_member("student-1", LEARNER)]
    platform.down = True  # the token endpoint answers 503
    response = instructor_client.post(f"/lti/classes/{classroom.pk}/roster/", follow=True)
    assert ROSTER_UNREACHABLE.split(":")[0] in response.content.decode()
    assert not Membership.objects.filter(classroom=classroom).exists()
    assert not LtiUser.objects.filter(sub="student-1").exists()


def test_only_the_instructor_may_sync(instructor_client, classroom, platform):
    url = f"/lti/classes/{classroom.pk}/roster/"
    student, assistant = Client(), Client()
    platform.launch(student, sub="student-1", roles=LEARNER)
    platform.launch(assistant, sub="ta-1", roles=TEACHING_ASSISTANT)
    assert student.post(url).status_code == 404
    assert assistant.post(url).status_code == 404
    anonymous = Client().post(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert instructor_client.get(url).status_code == 405


def test_a_class_not_from_the_lms_has_no_roster_to_sync(client, django_user_model):
    django_user_model.objects.create_user("ines", password="pw")
    classroom = classroom_create(name="Walk-in", instructor=instructor_grant(username="ines"))
    client.login(username="ines", password="pw")
    response = client.post(f"/lti/classes/{classroom.pk}/roster/")
    assert response.status_code == 404
    assert "not linked to an LMS course" in response.content.decode()
