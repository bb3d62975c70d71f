"""From an experiment to its questions and back, in a real Chromium (issue 16)."""

import re

import pytest
from playwright.sync_api import expect

from quizzes.store import bank_store

pytestmark = pytest.mark.browser


@pytest.fixture
def tied_question(transactional_db, question_factory):
    bank_store(questions=[question_factory("tied-q", labs=("rest-api/experiment/cold-starts",)),
                          question_factory("untied-q")])


def test_test_yourself_then_try_it_in_the_lab(live_server, page, tied_question):
    page.goto(f"{live_server.url}/patterns/rest-api/")
    block = page.locator("#experiment-cold-starts")
    block.get_by_role("link", name=re.compile("^Test yourself: 1 exam-style question")).click()

    expect(page).to_have_url(re.compile(r"/quizzes/practice/\?lab=rest-api%2Fexperiment"))
    expect(page.get_by_text("Topic: the rest-api experiment cold-starts.")).to_be_visible()
    expect(page.locator("legend")).to_contain_text("Stem of tied-q")  # never the untied one
    page.get_by_label(re.compile(r"^A\.")).check()
    page.get_by_role("button", name="Check answer").click()
    expect(page.locator("#verdict")).to_be_visible()

    page.get_by_role("link", name=re.compile("^Try it in the lab: ")).click()
    expect(page).to_have_url(re.compile(r"/patterns/rest-api/#experiment-cold-starts$"))
    expect(page.locator("#experiment-cold-starts")).to_be_in_viewport()
