"""A class's TA, a stranger and a clean sandbox (the class, its instructor and students are in
tests/conftest.py); tests that need no lab cloud get an address where none answers, so nothing
they enqueue reaches another test's (or a developer's) lab cloud."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from classrooms.services import ta_add


@pytest.fixture(autouse=True)
def no_lab_cloud_unless_asked(request, settings):
    if "lab_cloud" not in request.fixturenames:
        settings.LAB_CLOUD_URL = "http://127.0.0.1:9"


@pytest.fixture
def ta(make_user, classroom):
    user = make_user("tariq")
    ta_add(classroom=classroom, username="tariq")
    return user


@pytest.fixture
def stranger(make_user):
    """Signed in, in no class."""
    return make_user("stan")


@pytest.fixture
def clean_sandbox(lab):
    """A fresh sandbox for a user: user ids come back between tests (the database is rolled
    back) while the session's lab cloud keeps every account, with its stacks and settings
    (another test's quota for `user-1`, say). Forgotten, so the next call makes a new one."""
    from patterns.lab import learner_for_user

    def clean(user):
        lab.reset(learner_for_user(user), forget=True)
        return user
    return clean


def _signed_in_page(browser, live_server, username, timezone_id="UTC"):
    """A browser context of its own, signed in as `username` (the session cookie of a
    force_login: these tests are about classes, not the sign-in form)."""
    user = get_user_model().objects.create_user(username=username, password="pw-" + username,
                                                email=f"{username}@example.edu")
    django_client = Client()
    django_client.force_login(user)
    context = browser.new_context(timezone_id=timezone_id, locale="en-GB")
    context.add_cookies([{"name": "sessionid", "url": live_server.url,
                          "value": django_client.cookies["sessionid"].value}])
    return context.new_page()


@pytest.fixture
def pages(browser, live_server):
    """Signed-in pages in browser contexts of their own, closed after the test (so that no
    connection outlives the live server)."""
    made = []

    def page(username, **options):
        made.append(_signed_in_page(browser, live_server, username, **options))
        return made[-1]
    yield page
    for found in made:
        found.context.close()
