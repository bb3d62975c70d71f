"""An experiment on a pattern page, in a real Chromium: predict, run, read why, turn the knob,
run again, all in place (htmx), with the page's trace following each run."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_predict_run_and_turn_the_knob_without_a_reload(page, live_server, lab_cloud):
    page.goto(f"{live_server.url}/patterns/async-queue/")
    box = page.locator("#experiment-visibility-too-short")
    expect(box.get_by_role("button", name="Run the experiment")).to_have_count(0)
    page.evaluate("window.notReloaded = true")  # gone if anything reloads the page

    box.get_by_label("More than once.").check()
    box.get_by_role("button", name="Predict").click()
    expect(box.get_by_text("You predicted:")).to_be_visible()
    knob = box.get_by_label("The queue's visibility timeout (seconds)")
    expect(knob).to_have_value("1")
    box.get_by_role("button", name="Run the experiment").click()
    expect(box.locator(".outcome")).to_contain_text("The one message was processed twice",
                                                    timeout=60_000)
    expect(box.get_by_text("You predicted this")).to_be_visible()
    expect(box.get_by_role("heading", name="Why")).to_be_visible()
    trace = page.locator("#trace")  # the page's trace shows the run, two invocations
    expect(trace.locator(".hop-invocation")).to_have_count(2)

    box.get_by_label("The queue's visibility timeout (seconds)").select_option("60")
    box.get_by_role("button", name="Run it again").click()
    expect(box.locator(".outcome")).to_contain_text("The message was processed once",
                                                    timeout=60_000)
    expect(box.get_by_text("Not what you predicted")).to_be_visible()
    expect(box.locator("table.experiment-runs tbody tr")).to_have_count(2)
    expect(trace.locator(".hop-invocation")).to_have_count(1)
    assert page.evaluate("window.notReloaded") is True
    assert page.url.endswith("/patterns/async-queue/")
