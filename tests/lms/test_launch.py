"""Resource link launches from the simulated LMS: accounts matched by (issuer, subject),
classes made on the instructor's first launch, roles; and every kind of bad launch refused
with a clear page and nothing created."""

import time

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils.html import escape
from jwcrypto.jwk import JWK
from lms_platform import INSTRUCTOR as INSTRUCTOR_ROLES
from lms_platform import LEARNER, ROLE, TEACHING_ASSISTANT
from lti_tool.models import Key, LtiDeployment, LtiUser

from classrooms.models import Classroom, Membership
from lms.launch import CLASS_NOT_SET_UP, NO_ROLE, REFUSALS, REPLAYED
from lms.models import LmsClass
from lms.roles import INSTRUCTOR, STUDENT, TA, lab_role

User = get_user_model()


def _refusal(needle: str) -> str:
    return escape(next(message for key, message in REFUSALS if key == needle))


@pytest.mark.parametrize("roles, expected", [
    (INSTRUCTOR_ROLES, INSTRUCTOR),
    (["Instructor"], INSTRUCTOR),  # the short form some platforms send
    ([f"{ROLE}#Administrator"], INSTRUCTOR),
    (TEACHING_ASSISTANT, TA),
    (LEARNER, STUDENT),
    (["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor"], None),
    ([], None),
])
def test_lti_roles_map_to_lab_roles(roles, expected):
    assert lab_role(roles=roles) == expected


def test_an_instructors_first_launch_makes_the_class_and_signs_them_in(client, platform,
                                                                         registration):
    response = platform.launch(client, sub="teacher-1", roles=INSTRUCTOR_ROLES,
                               name="Ines Teacher")
    classroom = Classroom.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/classes/{classroom.pk}/"
    assert classroom.name == "Serverless 101"
    teacher = LtiUser.objects.get(sub="teacher-1").auth_user
    assert classroom.instructor == teacher
    assert LmsClass.objects.get().classroom == classroom
    page = client.get(f"/classes/{classroom.pk}/")
    assert page.status_code == 200 and page.context["user"] == teacher


def test_learners_join_the_mapped_class_and_are_matched_again_by_subject(
        instructor_client, platform):
    classroom = Classroom.objects.get()
    student = Client()
    response = platform.launch(student, sub="student-1", roles=LEARNER)
    assert response.status_code == 302 and response["Location"] == f"/classes/{classroom.pk}/"
    user = LtiUser.objects.get(sub="student-1").auth_user
    assert Membership.objects.get(classroom=classroom, user=user).role == Membership.STUDENT
    # A second launch finds the same account and class: nothing new.
    again = platform.launch(Client(), sub="student-1", roles=LEARNER)
    assert again.status_code == 302
    assert User.objects.count() == 2 and Classroom.objects.count() == 1
    assert Membership.objects.filter(user=user).count() == 1


def test_a_matching_email_never_merges_accounts(instructor_client, platform):
    existing = User.objects.create_user("sam", email="student-1@lms.example.edu")
    platform.launch(Client(), sub="student-1", roles=LEARNER)
    lti_user = LtiUser.objects.get(sub="student-1")
    assert lti_user.auth_user != existing
    assert not Membership.objects.filter(user=existing).exists()


def test_a_teaching_assistant_gets_the_staff_view_of_that_class(instructor_client, platform):
    classroom = Classroom.objects.get()
    assistant = Client()
    platform.launch(assistant, sub="ta-1", roles=TEACHING_ASSISTANT)
    user = LtiUser.objects.get(sub="ta-1").auth_user
    assert Membership.objects.get(classroom=classroom, user=user).role == Membership.TA
    assert assistant.get(f"/classes/{classroom.pk}/gradebook/").status_code == 200


def test_a_learner_before_the_instructor_is_told_to_wait_and_nothing_is_made(
        client, platform, registration):
    response = platform.launch(client, sub="student-1", roles=LEARNER)
    assert response.status_code == 403
    assert escape(CLASS_NOT_SET_UP) in response.content.decode()
    assert not User.objects.exists() and not Classroom.objects.exists()
    assert not LtiUser.objects.exists()


def test_a_launch_without_a_known_role_is_refused(client, platform, registration):
    response = platform.launch(client, roles=["http://purl.imsglobal.org/vocab/lis/v2/"
                                              "institution/person#Guest"])
    assert response.status_code == 403 and escape(NO_ROLE) in response.content.decode()
    assert not User.objects.exists()


def _nothing_created():
    assert not User.objects.exists()
    assert not Classroom.objects.exists()
    assert not LtiUser.objects.exists()
    assert not LmsClass.objects.exists()


@pytest.mark.parametrize("bad, needle", [
    ({"exp": int(time.time()) - 60, "iat": int(time.time()) - 400}, "expired"),
    ({"aud": "someone-elses-client"}, "Registration not found"),
    ({"nonce": "a-nonce-the-tool-never-issued"}, "Invalid Nonce"),
    ({"https://purl.imsglobal.org/spec/lti/claim/deployment_id": "deployment-unknown"},
     "Unable to find deployment"),
    ({"state": "state-from-another-browser"}, "State not found"),
])
def test_bad_launches_are_refused_with_a_clear_page_and_nothing_created(
        client, platform, registration, bad, needle):
    response = platform.launch(client, roles=INSTRUCTOR_ROLES, **bad)
    assert response.status_code == 403
    assert _refusal(needle) in response.content.decode()
    _nothing_created()


def test_an_unknown_deployment_is_not_recorded_either(client, platform, registration):
    platform.launch(client, roles=INSTRUCTOR_ROLES, **{
        "https://purl.imsglobal.org/spec/lti/claim/deployment_id": "deployment-unknown"})
    assert list(LtiDeployment.objects.values_list("deployment_id", flat=True)) == [
        "deployment-1"]


def test_a_launch_over_https_works(client, platform, registration):
    response = platform.launch(client, sub="teacher-1", roles=INSTRUCTOR_ROLES, secure=True)
    assert response.status_code == 302
    assert Classroom.objects.get().instructor == LtiUser.objects.get().auth_user


def test_a_token_signed_by_another_key_is_refused(client, platform, registration):
    # The forger reuses the platform's key id, so the tool finds a key and checks the
    # signature against it.
    forged = JWK.generate(kty="RSA", size=2048, kid=platform.key.get("kid"))
    response = platform.launch(client, roles=INSTRUCTOR_ROLES, key=forged)
    assert response.status_code == 403
    assert _refusal("Signature verification failed") in response.content.decode()
    _nothing_created()


def test_a_replayed_launch_is_refused(client, platform, registration):
    assert platform.launch(client, sub="student-1", roles=INSTRUCTOR_ROLES).status_code == 302
    users, classes = User.objects.count(), Classroom.objects.count()
    response = platform.replay(Client(cookies=client.cookies))
    assert response.status_code == 403
    assert escape(REPLAYED) in response.content.decode()
    assert (User.objects.count(), Classroom.objects.count()) == (users, classes)


def test_an_unknown_issuer_is_refused_at_login(client, platform, registration):
    response = client.get("/lti/login/", {"iss": "https://other.example", "login_hint": "x",
                                          "target_link_uri": "http://testserver/lti/launch/"})
    assert response.status_code == 400
    assert "Could not find registration details" in response.content.decode()


def test_launch_only_takes_a_post(client, registration):
    assert client.get("/lti/launch/").status_code == 405


def test_the_tool_publishes_its_public_keys(client, platform):
    keys = client.get("/lti/jwks.json").json()["keys"]
    assert [k["kid"] for k in keys] == [k["kid"] for k in platform.tool_jwks["keys"]]
    assert all("d" not in k for k in keys)  # never the private part


def test_a_registration_made_in_the_admin_gets_a_signing_key_on_first_use(
        client, platform, registration):
    Key.objects.all().delete()
    platform.tool_jwks = {"keys": []}
    assert platform.launch(client, sub="teacher-1", roles=INSTRUCTOR_ROLES).status_code == 302
    assert Key.objects.active().count() == 1
