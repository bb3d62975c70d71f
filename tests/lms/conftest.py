"""Fixtures around the simulated LMS (lms_platform.py)."""

import pytest
from lms_platform import CLIENT_ID, DEPLOYMENT_ID, INSTRUCTOR, ISSUER, Platform
from lti_tool.models import Key, LtiDeployment, LtiRegistration


@pytest.fixture(autouse=True)
def no_lab_cloud_unless_asked(request, settings):
    if "lab_cloud" not in request.fixturenames:
        settings.LAB_CLOUD_URL = "http://127.0.0.1:9"  # nothing enqueued reaches a cloud


@pytest.fixture
def platform(db):
    sim = Platform()
    Key.objects.generate()
    sim.tool_jwks = Key.objects.as_jwks()
    yield sim
    sim.stop()


@pytest.fixture
def registration(platform):
    registration = LtiRegistration.objects.create(
        name="Test LMS", issuer=ISSUER, client_id=CLIENT_ID, auth_url=f"{platform.url}/auth",
        token_url=f"{platform.url}/token", keyset_url=f"{platform.url}/jwks")
    LtiDeployment.objects.create(registration=registration, deployment_id=DEPLOYMENT_ID,
                                 is_active=True)
    return registration


@pytest.fixture
def instructor_client(client, platform, registration):
    """An instructor who launched from the course, so its class exists."""
    response = platform.launch(client, sub="teacher-1", roles=INSTRUCTOR, name="Ines Teacher")
    assert response.status_code == 302, response.content
    return client
