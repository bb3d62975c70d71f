"""The realtime-websocket pattern's chat, as a learner uses it: two tabs of one browser (one
learner, one sandbox), each a client of the WebSocket API deployed in that sandbox."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def join(page, url, name):
    page.goto(url)
    page.get_by_label("Your name").fill(name)
    page.get_by_role("button", name="Join the chat").click()
    expect(page.locator("#chat-status")).to_have_text(f"Connected as {name}.", timeout=60_000)


def test_a_message_sent_in_one_tab_appears_in_the_other(page, live_server, lab_cloud):
    url = f"{live_server.url}/patterns/realtime-websocket/"
    join(page, url, "Ada")
    other = page.context.new_page()
    join(other, url, "Grace")
    expect(other.get_by_label("Message", exact=True)).to_be_focused()

    page.get_by_label("Message", exact=True).fill("Hello from the first tab")
    page.keyboard.press("Enter")  # by keyboard: Enter submits the message form

    expect(other.locator("#chat-log")).to_contain_text("Ada: Hello from the first tab")
    expect(page.locator("#chat-log")).to_contain_text("Ada: Hello from the first tab")
    expect(other.locator("#chat-log")).to_have_attribute("aria-live", "polite")

    other.get_by_role("button", name="Leave the chat").click()
    expect(other.locator("#chat-status")).to_contain_text("Disconnected (close code 1000")
    expect(other.get_by_role("button", name="Join the chat")).to_be_visible()


def test_the_chat_offers_to_join_first(page, live_server, lab_cloud):
    page.goto(f"{live_server.url}/patterns/realtime-websocket/")
    expect(page.get_by_role("heading", name="Chat in your sandbox")).to_be_visible()
    expect(page.locator("#chat-send")).to_be_hidden()
