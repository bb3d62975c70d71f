"""The Content Security Policy in a real Chromium: running a pattern, drawing its diagrams,
practising a question and chatting break none of its rules (Chromium reports each refusal on
the console), and the recorder does see a refusal when there is one."""

import pytest
from playwright.sync_api import expect

from quizzes import bank
from quizzes.store import bank_store

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def csp_refusals(page):
    seen = []
    page.on("console", lambda message: seen.append(message.text)
            if "Content Security Policy" in message.text else None)
    return seen


def test_the_recorder_sees_an_inline_script_refused(page, live_server, csp_refusals):
    page.goto(f"{live_server.url}/accounts/login/")
    with page.expect_console_message(lambda m: "Content Security Policy" in m.text):
        page.evaluate("""() => {
            const script = document.createElement("script");
            script.textContent = "document.title = 'ran'";
            document.head.append(script);
        }""")
    expect(page).not_to_have_title("ran")
    assert any("inline script" in text and "script-src 'self'" in text
               for text in csp_refusals), csp_refusals


def test_running_a_pattern_and_practising_break_no_rule(page, live_server, lab_cloud,
                                                       csp_refusals):
    response = page.goto(f"{live_server.url}/patterns/rest-api/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator("#diagram svg")).to_be_visible()  # Mermaid, from a static file
    page.get_by_role("button", name="Run: Create two orders, then read the first").click()
    trace = page.locator("#trace")
    expect(trace.get_by_text("passed")).to_be_visible(timeout=30_000)
    expect(trace.locator("figure.sequence svg")).to_be_visible()  # drawn after the swap

    bank_store(questions=[bank.Question(
        id="csp-q", type="single", stem="Which service runs functions?", domain="secure",
        exam=("SAA-C03",), options=tuple(
            bank.Option(text=text, correct=text == "Lambda", why=f"Because {text}.")
            for text in ("Lambda", "S3", "SQS", "SNS")))])
    page.goto(f"{live_server.url}/quizzes/practice/q/csp-q/")
    page.get_by_label("Lambda").check()
    page.get_by_role("button", name="Check answer").click()
    expect(page.locator("#verdict")).to_be_focused()  # quizzes/practice.js ran
    assert csp_refusals == []


def test_the_chat_connects_under_the_policy(page, live_server, lab_cloud, csp_refusals):
    page.goto(f"{live_server.url}/patterns/realtime-websocket/")
    page.get_by_label("Your name").fill("Ada")
    page.get_by_role("button", name="Join the chat").click()
    expect(page.locator("#chat-status")).to_have_text("Connected as Ada.", timeout=60_000)
    assert csp_refusals == []
