"""The instructor uploads a Moodle GIFT export in a real browser: the bank swaps in place
(htmx, no reload) with what was imported and what was left out, and a delete asks first."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from classrooms.services import classroom_create, instructor_grant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
GIFT = Path(__file__).parents[1] / "quizzes" / "data" / "moodle_class.gift"


def test_upload_a_moodle_export_and_delete_a_question(pages, live_server):
    teacher = pages("ines")
    classroom = classroom_create(name="Serverless 101",
                                 instructor=instructor_grant(username="ines"))
    teacher.goto(f"{live_server.url}/classes/{classroom.pk}/")
    teacher.get_by_role("link", name="Question bank").click()
    expect(teacher.get_by_role("heading", name="0 questions")).to_be_visible()
    teacher.evaluate("window.stayedOnThePage = true")
    teacher.get_by_label("Questions (GIFT").set_input_files(GIFT)
    teacher.get_by_role("button", name="Import questions").click()
    expect(teacher.get_by_text("Imported 6 new and updated 0 question(s).")).to_be_visible()
    expect(teacher.locator("ul.skipped li")).to_have_count(5)
    expect(teacher.get_by_text("'Match services' (matching) not imported",
                               exact=False)).to_be_visible()
    expect(teacher.get_by_role("heading", name="6 questions")).to_be_visible()
    assert teacher.evaluate("window.stayedOnThePage") is True  # swapped, not reloaded

    teacher.once("dialog", lambda dialog: dialog.accept())
    teacher.locator("tr", has_text="Short true").get_by_role("button", name="Delete").click()
    expect(teacher.get_by_role("heading", name="5 questions")).to_be_visible()
    expect(teacher.locator("tr", has_text="Short true")).to_have_count(0)
