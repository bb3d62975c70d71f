"""A fix-it lab in a real Chromium: deploy the broken start, see a check fail and a hint, fix
the handler in the CodeMirror editor by typing, deploy again until every check passes, read
why; all in place (htmx), on a 360 px screen that nothing overflows."""

import pytest
from playwright.sync_api import expect

from tests.patterns.test_fixit_views import FIXIT, fixit_pattern_install

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fixit_pattern(tmp_path, monkeypatch):
    return fixit_pattern_install(tmp_path, monkeypatch)


def test_fix_the_handler_in_the_editor_until_every_check_passes(page, live_server, lab_cloud,
                                                                 fixit_pattern):
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server.url}/patterns/{fixit_pattern}/fix/{FIXIT}/")
    editors = page.locator(".CodeMirror")
    expect(editors).to_have_count(2)  # src/app.py and template.yaml, as CodeMirror editors
    page.evaluate("window.notReloaded = true")  # gone if anything reloads the page
    result = page.locator("#fixit-result")

    page.get_by_role("button", name="Deploy and check").click()
    failed = result.locator(".fixit-checks li.bad")
    expect(failed).to_contain_text("An event without a name greets the world", timeout=60_000)
    expect(result.locator(".fixit-checks li.ok")).to_contain_text("greeted by name")
    expect(result.locator(".hints li")).to_have_text(
        ["What does event['name'] do when there is no name?"])
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # Fix the line as a person would: click it, select it, type the new one.
    editors.first.locator(".CodeMirror-line", has_text="event['name']").click()
    page.keyboard.press("End")
    page.keyboard.press("Shift+Home")
    page.keyboard.type('return {"greeting": f"hello {event.get(\'name\', \'world\')}"}')
    expect(editors.first).to_contain_text("event.get('name', 'world')")

    page.get_by_role("button", name="Deploy and check").click()
    expect(result.locator(".outcome")).to_contain_text("Every check passes", timeout=60_000)
    expect(result.locator(".fixit-checks li.bad")).to_have_count(0)
    expect(result.get_by_role("heading", name="Why it broke, and why the fix works")
           ).to_be_visible()
    expect(result.locator(".hints li")).to_have_count(1)  # the hint stays
    assert page.evaluate("window.notReloaded") is True
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.reload()  # the fixed code is the learner's draft now
    expect(page.locator(".CodeMirror").first).to_contain_text("event.get('name', 'world')")


def test_a_syntax_error_is_marked_at_its_line_and_the_typed_code_stays(page, live_server,
                                                                        lab_cloud, fixit_pattern):
    page.goto(f"{live_server.url}/patterns/{fixit_pattern}/fix/{FIXIT}/")
    editor = page.locator(".CodeMirror").first
    editor.locator(".CodeMirror-line", has_text="def handler").click()
    page.keyboard.press("End")
    page.keyboard.press("Backspace")  # the colon: a SyntaxError at line 4
    page.get_by_role("button", name="Deploy and check").click()
    errors = page.locator("#file-errors-0")
    expect(errors).to_contain_text("Line 4 of src/app.py: SyntaxError", timeout=60_000)
    expect(page.locator("#fixit-result .outcome")).to_contain_text("Not deployed")
    expect(editor.locator(".error-line")).to_have_count(1)
    expect(editor.locator(".error-line")).to_contain_text("def handler(event, context)")
    expect(editor).not_to_contain_text("def handler(event, context):")  # as typed


def test_fix_the_rest_apis_missing_permission_in_the_template_editor(page, live_server,
                                                                      lab_cloud):
    """The lab's own fix-it: the order handler's role may read its table but not write it."""
    page.goto(f"{live_server.url}/patterns/rest-api/")
    page.locator("#fixits").get_by_role(
        "link", name="The order handler cannot write its table").click()
    page.get_by_role("button", name="Deploy and check").click()
    result = page.locator("#fixit-result")
    expect(result.locator(".fixit-checks li.bad").first).to_contain_text(
        "POST /orders answers 201", timeout=60_000)
    expect(result.locator(".hints li")).to_have_count(1)
    expect(result.locator("#trace")).to_contain_text("AccessDeniedException")

    template = page.locator(".CodeMirror").first
    template.locator(".CodeMirror-line", has_text="DynamoDBReadPolicy").first.click()
    page.keyboard.press("End")
    page.keyboard.press("Shift+Home")
    page.keyboard.type("- DynamoDBWritePolicy:")
    page.get_by_role("button", name="Deploy and check").click()
    expect(result.locator(".outcome")).to_contain_text("Every check passes", timeout=60_000)
    expect(result.locator(".fixit-checks li.ok")).to_have_count(3)
    expect(result.get_by_role("heading", name="Why it broke, and why the fix works")
           ).to_be_visible()
