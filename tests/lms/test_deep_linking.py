"""Deep linking: from the LMS, an instructor picks an assignment (or makes a lab from a
pattern) and the LMS gets a deep-linking response signed with the tool's published key."""

import html
import re

import jwt
import pytest
from django.test import Client
from django.utils.html import escape
from jwcrypto.jwk import JWK
from lms_platform import CLIENT_ID, DEPLOYMENT_ID, INSTRUCTOR, ISSUER, LEARNER

from classrooms.assignments import assignment_create
from classrooms.models import Assignment, Classroom
from lms.deep_linking import NO_SUCH_ASSIGNMENT, NO_SUCH_PATTERN
from lms.launch import NOT_STAFF
from lms.models import LaunchValue
from lms.views import NO_DEEP_LINK_LAUNCH

DEEP_LINKING = "LtiDeepLinkingRequest"
ITEMS = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"


def _launch_id(response) -> str:
    return re.search(r'name="launch" value="([^"]+)"', response.content.decode()).group(1)


@pytest.fixture
def picker(instructor_client, platform):
    """The picker the instructor sees when the LMS's "add an activity" launches the lab:
    (the client, the launch id its forms carry)."""
    response = platform.launch(instructor_client, sub="teacher-1", roles=INSTRUCTOR,
                               message_type=DEEP_LINKING)
    assert response.status_code == 200
    return instructor_client, _launch_id(response), response


@pytest.fixture
def lab(instructor_client):
    return assignment_create(classroom=Classroom.objects.get(), title="Queue lab",
                             pattern="async-queue")


def _signed_response(client, response) -> dict:
    """The JWT the response form posts to the LMS, checked with the tool's JWKS."""
    page = response.content.decode()
    action = html.unescape(re.search(r'action="([^"]+)" data-autosubmit', page).group(1))
    token = html.unescape(re.search(r'name="JWT" value="([^"]+)"', page).group(1))
    keys = {k["kid"]: k for k in client.get("/lti/jwks.json").json()["keys"]}
    public = JWK(**keys[jwt.get_unverified_header(token)["kid"]]).export_to_pem()
    claims = jwt.decode(token, public, algorithms=["RS256"], audience=ISSUER)
    return {"action": action, "claims": claims}


def test_the_picker_lists_the_class_assignments_and_the_patterns(picker, lab, platform):
    client, launch_id, _ = picker
    # The class's assignments as they are now: ask again through the launch id.
    page = client.post("/lti/deep-link/", {"launch": launch_id, "assignment": "none"})
    assert "Queue lab" in page.content.decode()
    assert 'value="async-queue"' in page.content.decode()
    # The LMS (and only it) may frame the picker.
    assert f"frame-ancestors {platform.url}" in page["Content-Security-Policy"]


def test_picking_an_assignment_answers_the_lms_with_a_signed_link(picker, lab, platform):
    client, launch_id, _ = picker
    response = client.post("/lti/deep-link/", {"launch": launch_id, "assignment": lab.pk})
    assert response.status_code == 200
    signed = _signed_response(client, response)
    assert signed["action"] == f"{platform.url}/deep-link-return"
    assert platform.url in response["Content-Security-Policy"].split("form-action")[1]
    claims = signed["claims"]
    assert claims["iss"] == CLIENT_ID
    assert claims["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] == DEPLOYMENT_ID
    assert claims["https://purl.imsglobal.org/spec/lti/claim/message_type"] == \
        "LtiDeepLinkingResponse"
    assert claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == "platform-opaque"
    [item] = claims[ITEMS]
    assert item["type"] == "ltiResourceLink"
    assert item["url"] == "http://testserver/lti/launch/"
    assert item["title"] == "Queue lab"
    assert item["custom"] == {"assignment_id": str(lab.pk)}
    assert item["lineItem"]["scoreMaximum"] == 100


def test_a_lab_can_be_made_from_a_pattern_and_linked(picker):
    client, launch_id, _ = picker
    response = client.post("/lti/deep-link/", {"launch": launch_id, "pattern": "rest-api",
                                               "title": "REST lab"})
    made = Assignment.objects.get(title="REST lab")
    assert made.pattern == "rest-api" and made.classroom == Classroom.objects.get()
    [item] = _signed_response(client, response)["claims"][ITEMS]
    assert item["custom"] == {"assignment_id": str(made.pk)}


def test_the_picker_works_without_the_labs_cookies(picker, lab):
    # Inside the LMS's frame the browser may send none of the lab's cookies.
    _, launch_id, _ = picker
    response = Client().post("/lti/deep-link/", {"launch": launch_id, "assignment": lab.pk})
    assert response.status_code == 200 and 'name="JWT"' in response.content.decode()


@pytest.mark.parametrize("data, message", [
    ({"assignment": "999999"}, NO_SUCH_ASSIGNMENT),
    ({"assignment": "not-a-number"}, NO_SUCH_ASSIGNMENT),
    ({"pattern": "no-such-pattern", "title": "x"}, NO_SUCH_PATTERN.format(
        slug="no-such-pattern")),
])
def test_a_bad_pick_is_named_on_the_picker_and_nothing_is_sent(picker, data, message):
    client, launch_id, _ = picker
    response = client.post("/lti/deep-link/", {"launch": launch_id, **data})
    assert response.status_code == 400
    assert escape(message) in response.content.decode()
    assert 'name="JWT"' not in response.content.decode()
    assert not Assignment.objects.exists()


def test_a_deep_linking_request_answers_once(picker, lab):
    client, launch_id, _ = picker
    data = {"launch": launch_id, "assignment": lab.pk}
    assert client.post("/lti/deep-link/", data).status_code == 200
    again = client.post("/lti/deep-link/", data)
    assert again.status_code == 403
    assert escape(NO_DEEP_LINK_LAUNCH) in again.content.decode()


def test_a_learner_cannot_make_a_deep_linking_request(instructor_client, platform):
    student = Client()
    response = platform.launch(student, sub="student-1", roles=LEARNER,
                               message_type=DEEP_LINKING)
    assert response.status_code == 403 and escape(NOT_STAFF) in response.content.decode()


@pytest.mark.parametrize("launch_id", ["", "lti1p3-launch-not-a-real-one", "resource"])
def test_the_picker_needs_a_deep_linking_launch(instructor_client, platform, lab, launch_id):
    if launch_id == "resource":  # an ordinary launch's id answers no deep-linking request
        platform.launch(Client(), sub="teacher-1", roles=INSTRUCTOR)
        launch_id = LaunchValue.objects.filter(key__startswith="lti1p3-launch-") \
            .latest("expires_at").key
    response = Client().post("/lti/deep-link/", {"launch": launch_id, "assignment": lab.pk})
    assert response.status_code == 403
    assert escape(NO_DEEP_LINK_LAUNCH) in response.content.decode()
    assert 'name="JWT"' not in response.content.decode()


def test_the_picker_takes_only_posts(client, db):
    assert client.get("/lti/deep-link/").status_code == 405
