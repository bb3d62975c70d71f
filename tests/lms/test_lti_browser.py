"""Deep linking in a real Chromium, under the site's Content Security Policy: the LMS's
sign-in step, the picker, and the signed response posted back to the LMS."""

import jwt
import pytest
from lms_platform import CLIENT_ID, DEPLOYMENT_ID, INSTRUCTOR, ISSUER
from playwright.sync_api import expect

from classrooms.assignments import assignment_create
from classrooms.models import Classroom

pytestmark = pytest.mark.browser


def test_an_instructor_adds_a_lab_to_the_course_from_the_lms(live_server, page, platform,
                                                             registration, instructor_client):
    lab = assignment_create(classroom=Classroom.objects.get(), title="Queue lab",
                            pattern="async-queue")
    platform.auth_as = {"sub": "teacher-1", "roles": INSTRUCTOR, "name": "Ines Teacher",
                        "message_type": "LtiDeepLinkingRequest"}
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text
            else None)
    # The LMS starts the OIDC login in the browser; its auth step posts the id_token back.
    page.goto(f"{live_server.url}/lti/login/?iss={ISSUER}&login_hint=x&client_id={CLIENT_ID}"
              f"&lti_deployment_id={DEPLOYMENT_ID}&target_link_uri={live_server.url}/lti/launch/")
    expect(page.get_by_role("heading", name="Add a lab activity to Serverless 101")).to_be_visible()
    page.get_by_label("Queue lab").check()
    page.get_by_role("button", name="Add this assignment to the course").click()
    # autosubmit.js posts the response to the LMS (form-action allows the LMS's origin).
    expect(page.get_by_role("heading", name="The LMS received the activity")).to_be_visible()
    [token] = platform.deep_link_returns
    claims = jwt.decode(token, options={"verify_signature": False})
    [item] = claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
    assert item["custom"] == {"assignment_id": str(lab.pk)}
    assert refused == []
