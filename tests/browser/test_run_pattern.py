"""What a learner does on a pattern page, in a real Chromium."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pressing_run_shows_the_trace_with_report_lines_and_responses(page, live_server,
                                                                      lab_cloud):
    page.goto(f"{live_server.url}/patterns/rest-api/")
    expect(page.locator("#diagram svg")).to_be_visible()  # Mermaid drew the template
    page.get_by_role("button", name="Run: Create two orders, then read the first").click()
    trace = page.locator("#trace")
    expect(trace.get_by_text("passed")).to_be_visible(timeout=30_000)
    expect(trace.locator(".status").first).to_have_text("201")
    expect(trace.locator("pre.logs").first).to_contain_text("REPORT RequestId:")
    expect(trace.locator("pre.logs").first).to_contain_text("Init Duration:")
    expect(trace.locator(".badge.cold")).to_have_count(2)
    expect(trace.locator(".badge.warm")).to_have_count(1)
    expect(trace.locator("figure.sequence svg")).to_be_visible()  # drawn after the swap
    assert page.url.endswith("/patterns/rest-api/")  # swapped in place, no navigation


def test_sending_your_own_request_by_keyboard(page, live_server, lab_cloud):
    page.goto(f"{live_server.url}/patterns/rest-api/")
    page.get_by_label("Path").fill("/orders")
    page.get_by_label("JSON body").fill('{"item": "kettle"}')
    page.get_by_role("button", name="Send request").focus()
    page.keyboard.press("Enter")
    trace = page.locator("#trace")
    expect(trace.locator(".status").first).to_have_text("201", timeout=30_000)
    expect(trace).to_contain_text("kettle")
    expect(trace).to_contain_text(re.compile(r"PutItem"))


def test_fast_forwarding_the_sandbox_clock_fires_the_nightly_job(page, live_server, lab_cloud):
    page.goto(f"{live_server.url}/patterns/scheduled-tasks/")
    page.get_by_label("Fast-forward by").select_option(label="7 days")
    page.get_by_role("button", name="Fast-forward the clock").click()
    trace = page.locator("#trace")
    expect(trace.locator("p.request")).to_contain_text("lab clock +7d", timeout=30_000)
    # 02:00 UTC passes seven times: the rule fires seven times, one run after another, each a
    # cold start: a day idle is far past the 10 minutes an environment is kept.
    expect(trace.locator(".hop-invocation")).to_have_count(7)
    expect(trace.locator(".badge.cold")).to_have_count(7)
    expect(trace.locator(".badge.warm")).to_have_count(0)
    expect(trace.locator("pre.logs").last).to_contain_text("deleted 0 expired session(s)")
    expect(trace.locator("figure.sequence svg")).to_be_visible()
    assert page.url.endswith("/patterns/scheduled-tasks/")
