"""What a person does, in a real Chromium: practise by keyboard, take a mock exam, reload."""

import re

import pytest
from playwright.sync_api import expect

from quizzes import bank
from quizzes.models import Question
from quizzes.store import bank_store

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_bank(transactional_db, bank_factory, question_factory):
    bank_store(questions=bank_factory({d: 20 for d in bank.DOMAINS}) + [question_factory(
        "keyboard-q", domain="cost", link="/patterns/rest-api/#when")])
    return Question.objects.get(bank_id="keyboard-q")


def test_practise_a_question_by_keyboard_and_read_the_explanations(live_server, page,
                                                                   browser_bank, letters_for):
    right = letters_for(browser_bank, correct=True)[0]
    page.goto(f"{live_server.url}/quizzes/practice/q/keyboard-q/")
    for _ in range(40):  # Tab from the top of the page to the options
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "answer":
            break
    for _ in range(4):  # arrow keys move through a radio group, selecting as they go
        page.keyboard.press("Space")
        if page.evaluate("document.activeElement.value") == right:
            break
        page.keyboard.press("ArrowDown")
    expect(page.locator(f"#option-{right}")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Check answer")).to_be_focused()
    page.keyboard.press("Enter")

    verdict = page.locator("#verdict")
    expect(verdict).to_contain_text("Correct.")
    expect(verdict).to_be_focused()
    expect(page.locator("#result")).to_contain_text("WHY-RIGHT keyboard-q 1")
    expect(page.locator("#result")).to_contain_text("WHY-WRONG keyboard-q 4")
    expect(page.get_by_role("button", name="Check answer")).to_be_disabled()
    expect(page).to_have_url(re.compile(r"/quizzes/practice/q/keyboard-q/$"))  # htmx, no reload
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Read the section that teaches this")).to_be_focused()


def test_mock_exam_flag_reload_and_the_answer_is_still_there(live_server, page, browser_bank):
    page.goto(f"{live_server.url}/quizzes/")
    page.get_by_role("button", name="Start a mock exam").click()
    expect(page.get_by_role("heading", name="Question 1 of 65")).to_be_visible()
    expect(page.get_by_role("timer")).to_contain_text("Time left: 2 h 10 min")

    page.get_by_label(re.compile(r"^B\.")).check()
    page.get_by_label("Flag this question for review").check()
    page.get_by_role("button", name="Save and next").click()
    expect(page.get_by_role("heading", name="Question 2 of 65")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/quizzes/exam/\d+/2/$"))
    expect(page.locator("#navigator-summary")).to_contain_text("64 unanswered, 1 flagged")

    page.get_by_role("button", name=re.compile(r"^1\b.*answered, flagged")).click()
    expect(page.get_by_role("heading", name="Question 1 of 65")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Question 1 of 65")).to_be_visible()
    expect(page.get_by_label(re.compile(r"^B\."))).to_be_checked()
    expect(page.get_by_label("Flag this question for review")).to_be_checked()


def test_choose_the_developer_associate_mock_exam_on_the_page(live_server, page,
                                                              transactional_db, bank_factory):
    bank_store(questions=bank_factory({d: 20 for d in bank.DVA_DOMAINS}, exam="DVA-C02"))
    page.goto(f"{live_server.url}/quizzes/")
    page.get_by_label(re.compile(r"Developer – Associate \(DVA-C02\)")).check()
    page.get_by_role("button", name="Start a mock exam").click()
    expect(page.get_by_role("heading", name="Question 1 of 65")).to_be_visible()
    expect(page).to_have_title(re.compile(r"^DVA-C02 mock exam, question 1"))
    page.get_by_role("button", name="Submit the exam").click()
    expect(page.get_by_role("heading", name="Mock exam result: DVA-C02")).to_be_visible()
    expect(page.locator("#scale-note")).to_contain_text("the lab's approximation")
    expect(page.get_by_role("rowheader", name="deployment")).to_be_visible()
