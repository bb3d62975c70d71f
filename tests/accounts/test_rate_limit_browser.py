"""A refused run, as a learner meets it in Chromium: htmx swaps the 429's message into the
trace region (base.html's htmx-config lets a 429 through), and the page stays where it was."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_refused_run_says_so_in_the_trace_region(page, live_server, settings):
    settings.RATE_LIMIT_RUN = "0/m"  # refused before anything reaches the lab cloud
    page.goto(f"{live_server.url}/patterns/rest-api/")
    page.get_by_role("button", name="Run: Create two orders, then read the first").click()
    alert = page.locator("#trace [role=alert]")
    expect(alert).to_contain_text("You have run more often than this lab allows (0/m).")
    expect(alert).to_contain_text("Run again in")
    assert page.url.endswith("/patterns/rest-api/")


def test_a_refused_sign_in_says_so_on_the_form(page, live_server, settings):
    settings.RATE_LIMIT_LOGIN = "1/h"
    page.goto(f"{live_server.url}/accounts/login/")
    for _ in range(2):
        page.get_by_label("Username").fill("ada")
        page.get_by_label("Password").fill("not-the-password")
        page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Too many sign-in attempts. Try again in")
    expect(page.get_by_label("Username")).to_have_value("ada")
