"""A fix-it lab assignment in a real Chromium: from the assignment to the fix-it page, a
failing try, the solution deployed, Hand in from the fix-it page, the score on the
assignment page."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from classrooms.assignments import assignment_create
from classrooms.models import Assignment
from classrooms.services import classroom_create, classroom_join, instructor_grant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_student_fixes_it_on_its_page_and_hands_in_from_there(pages, live_server, lab_cloud,
                                                                 clean_sandbox):
    learner = pages("sam")
    users = get_user_model().objects
    student = clean_sandbox(users.get(username="sam"))
    users.create_user(username="ines", password="pw-ines")
    classroom = classroom_create(name="Serverless 101", instructor=instructor_grant(
        username="ines"))
    classroom_join(user=student, code=classroom.join_code)
    assignment = assignment_create(classroom=classroom, title="Orders: fix it",
                                   kind=Assignment.FIX, pattern="rest-api",
                                   fixit="missing-permission")

    learner.goto(f"{live_server.url}/classes/{classroom.pk}/a/{assignment.pk}/")
    learner.get_by_role("link", name="The order handler cannot write its table").click()
    aside = learner.locator("aside.assignment-tasks")
    expect(aside).to_contain_text("Assignment: Orders: fix it")
    result = learner.locator("#fixit-result")

    learner.get_by_role("button", name="Deploy and check").click()
    # On the whole result box, so a refusal's reason would be in the failure's message.
    expect(result).to_contain_text("Not fixed yet", timeout=60_000)

    learner.get_by_label("Replace the code in my editors with the solution").check()
    learner.get_by_role("button", name="Show the solution").click()
    learner.get_by_role("button", name="Deploy and check").click()
    expect(result).to_contain_text("Every check passes", timeout=60_000)

    learner.locator("aside.assignment-tasks").get_by_role("button", name="Hand in").click()
    expect(learner.locator("#results")).to_contain_text("Result: Passed, score 100",
                                                         timeout=60_000)
    expect(learner.locator("details.handed-in")).to_contain_text("DynamoDBWritePolicy")
