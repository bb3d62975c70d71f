"""Your sandbox on the pattern page, in a real Chromium: the panel follows each run without a
reload, an event of your own is checked and traced, reset empties the panel; and the page fits
a 360 px phone."""

import pytest
from playwright.sync_api import expect

from tests.conftest import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _mark_the_page(page) -> None:
    """A flag that a reload or a navigation would lose."""
    page.evaluate("window.sandboxPanelTest = 'same page'")


def _same_page(page) -> bool:
    return page.evaluate("window.sandboxPanelTest") == "same page"


def test_a_run_shows_its_item_in_the_panel_its_timeline_and_cost_without_a_reload(
        page, live_server, lab_cloud):
    page.goto(f"{live_server.url}/patterns/rest-api/")
    panel = page.locator("#sandbox-panel")
    expect(panel).to_contain_text("This pattern is not in your sandbox", timeout=30_000)
    _mark_the_page(page)
    page.get_by_label("Path").fill("/orders")
    page.get_by_label("JSON body").fill('{"item": "panel-kettle"}')
    page.get_by_role("button", name="Send request").click()
    expect(page.locator("#trace .status").first).to_have_text("201", timeout=30_000)
    items = page.locator("#sandbox-panel table.items")
    expect(items.get_by_role("cell", name="panel-kettle")).to_be_visible(timeout=30_000)
    expect(items.get_by_role("columnheader", name="id (key)")).to_be_visible()
    # The same run, on the same page: its timeline and what it would cost (issue 15's test).
    trace = page.locator("#trace")
    expect(trace.locator("section.timeline .bar-invocation")).to_have_count(1)
    expect(trace.locator("section.cost table.cost-table caption",
                         has_text="Lambda")).to_be_visible()
    expect(trace.locator("section.cost .cost-total")).to_contain_text("This run: $")
    assert _same_page(page)


def test_your_own_event_is_checked_then_traced(page, live_server, lab_cloud):
    page.goto(f"{live_server.url}/patterns/rest-api/")
    expect(page.locator("#sandbox-panel")).to_contain_text("not in your sandbox",
                                                           timeout=30_000)
    summary = page.locator("#event-editors summary", has_text="CreateOrderFunction")
    summary.focus()
    page.keyboard.press("Enter")  # opens its editor, by keyboard
    editor = page.get_by_label("Event for CreateOrderFunction (JSON)")
    expect(editor).to_contain_text('"httpMethod"')
    _mark_the_page(page)
    editor.fill('{"httpMethod": "POST",}')
    page.get_by_role("button", name="Invoke CreateOrderFunction").click()
    error = page.locator("#event-error-CreateOrderFunction")
    expect(error).to_contain_text("The event is not JSON", timeout=30_000)
    expect(page.locator("#trace .hop-invocation")).to_have_count(0)
    editor.fill('{"httpMethod": "POST", "body": "{\\"item\\": \\"own-event-mug\\"}"}')
    page.get_by_role("button", name="Invoke CreateOrderFunction").click()
    trace = page.locator("#trace")
    expect(trace.locator(".hop-invocation")).to_have_count(1, timeout=30_000)
    expect(trace).to_contain_text("own-event-mug")
    expect(page.locator("#sandbox-panel table.items")).to_contain_text("own-event-mug",
                                                                       timeout=30_000)
    assert _same_page(page)


def test_reset_asks_for_a_confirmation_and_empties_the_panel(page, live_server, lab_cloud):
    page.goto(f"{live_server.url}/patterns/rest-api/")
    page.get_by_role("button", name="Run: Create two orders, then read the first").click()
    expect(page.locator("#sandbox-panel table.items")).to_contain_text("coffee beans",
                                                                       timeout=30_000)
    page.get_by_role("link", name="Open your sandbox on its own page (reset it there)").click()
    expect(page.locator("#sandbox-panel")).to_contain_text("coffee beans")
    _mark_the_page(page)
    page.get_by_role("button", name="Reset my sandbox").click()  # not confirmed: refused
    expect(page.locator("#sandbox-panel")).to_contain_text("coffee beans")
    page.get_by_label("Yes, delete everything in my sandbox").check()
    page.get_by_role("button", name="Reset my sandbox").click()
    expect(page.locator("#sandbox-reset")).to_contain_text("Your sandbox is empty",
                                                           timeout=30_000)
    expect(page.locator("#sandbox-panel")).to_contain_text(
        "This pattern is not in your sandbox", timeout=30_000)
    assert _same_page(page)


@pytest.mark.parametrize("path", ["/patterns/rest-api/", "/patterns/rest-api/sandbox/", "/"])
def test_at_360_px_the_navigation_wraps_and_nothing_overflows(page, live_server, lab_cloud,
                                                             path):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server.url}{path}")
    exam_prep = page.get_by_role("navigation", name="Main").get_by_role("link",
                                                                        name="Exam prep")
    expect(exam_prep).to_be_visible()
    box = exam_prep.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_at_360_px_a_wide_trace_scrolls_inside_its_box(page, live_server, lab_cloud):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server.url}/patterns/rest-api/")
    page.get_by_role("button", name="Run: Create two orders, then read the first").click()
    expect(page.locator("#trace").get_by_text("passed")).to_be_visible(timeout=30_000)
    expect(page.locator("#trace figure.sequence svg")).to_be_visible()
    # The panel, refreshed after the run: long names (log streams, buckets) wrap there.
    expect(page.locator("#sandbox-panel")).to_contain_text("Log group", timeout=30_000)
    # Something in the trace is wider than the phone (the timeline, a long log line)...
    assert page.evaluate("""() => Math.max(...[...document.querySelectorAll('#trace *')]
                                           .map(e => e.scrollWidth)) > 360""")
    # ...and scrolls inside its own box: the page does not (once the diagrams are drawn).
    wait_until(lambda: page.evaluate("document.documentElement.scrollWidth") <= 360,
               timeout=30)
