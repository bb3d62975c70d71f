"""A run's timeline, cost and replay in a real Chromium: swapped in by htmx, no reload."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_run_shows_its_timeline_cost_and_replay_without_a_reload(page, live_server,
                                                                    lab_cloud):
    page.goto(f"{live_server.url}/patterns/rest-api/")
    expect(page.locator("#diagram svg")).to_be_visible()
    page.evaluate("window.__same_page = true")
    page.get_by_role("button", name="Run: Create two orders, then read the first").click()
    trace = page.locator("#trace")
    expect(trace.get_by_text("passed")).to_be_visible(timeout=60_000)

    timeline = trace.locator("section.timeline")
    expect(timeline.locator(".bar-invocation")).to_have_count(3)
    expect(timeline.locator(".bar-invocation .init")).to_have_count(2)  # two cold starts
    bar = timeline.locator(".bar-invocation").first
    bar.focus()  # by keyboard: the focused bar shows its figures
    tip = timeline.locator(".tip", has_text="Init Duration").first
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("Billed Duration")
    expect(timeline.get_by_text("The timeline as a table")).to_be_visible()

    cost = trace.locator("section.cost")
    expect(cost.locator("table.cost-table caption", has_text="Lambda")).to_be_visible()
    expect(cost.locator("table.cost-table caption", has_text="DynamoDB")).to_be_visible()
    expect(cost.locator("table.cost-table").get_by_role("rowheader", name="REST API requests",
                                                        exact=True)).to_be_visible()
    expect(cost.locator(".cost-total")).to_contain_text("This run: $")

    runs = page.get_by_label("Runs a day")
    runs.fill("100000")
    # 100,000 a day x 30 days, 3 REST requests a run: 9,000,000 x $3.50 / 1M = $31.50
    expect(page.locator("#projection caption")).to_have_text(
        "A month at 100000 runs a day (30 days)", timeout=10_000)
    expect(page.locator("#projection")).to_contain_text("$31.50")
    runs.fill("-3")
    expect(page.locator("#projection [role=alert]")).to_contain_text("whole number",
                                                                     timeout=10_000)

    page.get_by_role("button", name="Replay on the architecture diagram").click()
    expect(page.locator("#diagram svg g.node.lit").first).to_be_attached(timeout=5_000)
    expect(trace.locator(".replay-status")).to_have_text(re.compile(r"Replayed \d+ hops\."),
                                                         timeout=20_000)
    assert page.evaluate("window.__same_page") is True  # no reload, no navigation
    assert page.url.endswith("/patterns/rest-api/")


def test_the_run_reopens_from_the_history(page, live_server, lab_cloud):
    page.goto(f"{live_server.url}/patterns/rest-api/")
    page.get_by_role("button", name="Run: Create two orders, then read the first").click()
    expect(page.locator("#trace").get_by_text("passed")).to_be_visible(timeout=60_000)
    page.get_by_role("link", name="Your last runs of this pattern").click()
    page.get_by_role("link", name="create-then-get").first.click()
    expect(page.locator("section.timeline .bar-invocation")).to_have_count(3)
    expect(page.locator("section.cost")).to_contain_text("This run: $")
    expect(page.locator("#diagram svg")).to_be_visible()
