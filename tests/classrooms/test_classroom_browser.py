"""Two people in two browsers: the instructor sets a lab, the student joins and does it, and
the instructor's open dashboard shows the pass without a reload; the CSV then has the score."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from classrooms.services import instructor_grant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_instructor_and_student_in_two_browsers(pages, live_server, lab_cloud, clean_sandbox):
    teacher = pages("ines", timezone_id="Asia/Tokyo")
    instructor_grant(username="ines")
    learner = pages("sam")
    clean_sandbox(get_user_model().objects.get(username="sam"))

    teacher.goto(f"{live_server.url}/classes/")
    teacher.get_by_label("Class name").fill("Serverless 101")
    teacher.get_by_role("button", name="Create class").click()
    code = teacher.locator("#join-code").inner_text()
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{6}", code)
    teacher.get_by_label("Title").fill("Orders API lab")
    teacher.get_by_label("Kind").select_option("lab")
    teacher.get_by_label("Pattern", exact=True).select_option("rest-api")
    teacher.get_by_role("button", name="Create assignment").click()
    expect(teacher.get_by_role("heading", name="Orders API lab")).to_be_visible()
    dashboard_url = teacher.url
    assert "/dashboard/" in dashboard_url

    learner.goto(f"{live_server.url}/classes/join/")
    learner.get_by_label("Join code").fill(code.lower())
    learner.get_by_role("button", name="Join").click()
    expect(learner.get_by_role("heading", name="Serverless 101")).to_be_visible(timeout=30_000)
    learner.goto(f"{live_server.url}/patterns/rest-api/")
    learner.get_by_role("button", name="Run: Create two orders, then read the first").click()
    expect(learner.locator("#trace").get_by_text("passed")).to_be_visible(timeout=30_000)
    learner.get_by_role("button", name="Check my work").click()
    expect(learner.locator("#results")).to_contain_text("Result: Passed, score 100",
                                                         timeout=60_000)

    # The teacher never reloaded: the grid polls every 3 s.
    assert teacher.url == dashboard_url
    row = teacher.locator('tr[data-student="sam"]')
    expect(row.locator("td.cell-passed")).to_have_count(2, timeout=30_000)
    # Shown in the teacher's own time zone (the page says UTC; the browser rewrites it).
    expect(row.locator("time.local")).to_contain_text(re.compile(r"GMT\+9|JST"))

    csv = teacher.request.get(dashboard_url.split("/a/")[0] + "/gradebook.csv").text()
    assert csv.splitlines() == ["username,email,Orders API lab", "sam,sam@example.edu,100"]
