"""A fix-it lab's page (issue 16): the story and the editors, Deploy and check (the draft kept
first, then a deploy to the learner's own sandbox and the checks), a hint after each failed
try, the solution and a reset, the explanation once every check passes. The fix-it here is
patterns/fixits.py's own fixture (a greeter that breaks on an event without a name), brought
into the catalog as an imported pattern."""

import shutil
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from patterns import catalog as catalog_module
from patterns.fixit_views import (
    CONFIRM_RESET,
    CONFIRM_SOLUTION,
    RESET_DONE,
    SOLUTION_SHOWN,
    draft_files,
)
from patterns.models import FixItDraft

FIXTURE = Path(__file__).parent / "fixits_fixture"
PATTERN, FIXIT = "fixit-greeter", "greeting-name"
PAGE = reverse("patterns:fixit", args=[PATTERN, FIXIT])
TRY = reverse("patterns:fixit_try", args=[PATTERN, FIXIT])
RESET = reverse("patterns:fixit_reset", args=[PATTERN, FIXIT])
SOLUTION = reverse("patterns:fixit_solution", args=[PATTERN, FIXIT])
START = (FIXTURE / "fixits/greeting-name/start/src/app.py").read_text()
FIXED = START.replace("event['name']", "event.get('name', 'world')")
BROKEN = START.replace("def handler(event, context):", "def handler(event, context)")
HX = {"HTTP_HX_REQUEST": "true"}


def fixit_pattern_install(folder: Path, monkeypatch) -> str:
    """The fixture pattern in the catalog (as `lab import` would bring it), for one test."""
    imports = folder / "imports"
    shutil.copytree(FIXTURE, imports / PATTERN, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(catalog_module, "IMPORTS_DIR", imports)
    return PATTERN


@pytest.fixture
def fixit_pattern(tmp_path, monkeypatch):
    return fixit_pattern_install(tmp_path, monkeypatch)


def _learner(client) -> str:
    """The anonymous learner a test client's session is (patterns.lab.learner_for)."""
    return f"anon-{client.session.session_key[:20]}"


def _draft(client) -> FixItDraft:
    return FixItDraft.objects.get(learner=_learner(client), pattern=PATTERN, fixit=FIXIT)


# -- the page ------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_page_shows_the_story_and_an_editor_per_file(client, fixit_pattern):
    page = client.get(PAGE).content.decode()
    assert "Fix it: The greeter breaks on an event without a name" in page
    assert "Invoked with {} the greeter fails with KeyError" in page
    assert 'name="file:src/app.py" data-mode="python"' in page
    assert 'name="file:template.yaml" data-mode="yaml"' in page
    assert "{event[&#x27;name&#x27;]}" in page  # the starting code, in its textarea
    assert f'hx-post="{TRY}"' in page and f'action="{TRY}"' in page
    assert "No try yet" in page
    assert "Why it broke" not in page and "Hints" not in page


@pytest.mark.django_db
def test_the_pattern_page_lists_its_fixits_with_a_link(client, fixit_pattern):
    page = client.get(reverse("patterns:detail", args=[PATTERN])).content.decode()
    assert f'<a href="{PAGE}">The greeter breaks on an event without a name</a>' in page
    assert "missing-field" in page and "Invoked with {} the greeter fails" in page
    rest_api = client.get(reverse("patterns:detail", args=["rest-api"])).content.decode()
    assert reverse("patterns:fixit", args=["rest-api", "missing-permission"]) in rest_api


@pytest.mark.django_db
def test_the_real_fixit_pages_render(client):
    from patterns.catalog import catalog
    from patterns.fixits import pattern_fixits

    pages = [(p.slug, f) for p in catalog().values() for f in pattern_fixits(p).values()]
    assert pages  # rest-api's at least
    for slug, fixit in pages:
        page = client.get(reverse("patterns:fixit", args=[slug, fixit.slug]))
        assert page.status_code == 200
        assert all(f'name="file:{path}"' in page.content.decode() for path in fixit.editable)


@pytest.mark.django_db
def test_unknown_fixits_and_patterns_are_404(client, fixit_pattern):
    assert client.get(reverse("patterns:fixit", args=[PATTERN, "nope"])).status_code == 404
    assert client.get(reverse("patterns:fixit", args=["nope", FIXIT])).status_code == 404
    for name in ("fixit_try", "fixit_reset", "fixit_solution"):
        assert client.post(reverse(f"patterns:{name}", args=[PATTERN, "nope"]),
                           {"confirm": "yes"}).status_code == 404
    assert not FixItDraft.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("url", [TRY, RESET, SOLUTION])
def test_the_fixit_actions_take_only_post(client, fixit_pattern, url):
    assert client.get(url).status_code == 405


# -- trying --------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_try_keeps_the_draft_shows_failing_checks_and_a_hint_each_time(
        client, fixit_pattern, lab_cloud):
    response = client.post(TRY, {"file:src/app.py": START.replace("\n", "\r\n")}, **HX)
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="fixit-result"')
    assert "✔ <span class=\"visually-hidden\">passed:</span> <strong>An event with a name is " \
           "greeted by name" in html
    assert "✘ <span class=\"visually-hidden\">failed:</span> <strong>An event without a name " \
           "greets the world" in html
    assert "Not fixed yet" in html
    assert "<li>What does event[&#x27;name&#x27;] do when there is no name?</li>" in html
    assert "dict.get takes a default" not in html  # hint 2 after the second failure
    assert "KeyError" in html  # the run's trace: the handler's error
    assert 'id="trace"' in html
    assert "sandbox-changed" in response["HX-Trigger"]
    draft = _draft(client)
    assert draft.files["src/app.py"] == START  # CRLF from the browser, LF kept
    assert (draft.tries, draft.failed_tries, draft.solved_at) == (1, 1, None)

    html = client.post(TRY, {"file:src/app.py": START}, **HX).content.decode()
    assert "What does event[&#x27;name&#x27;]" in html and "dict.get takes a default" in html

    html = client.post(TRY, {"file:src/app.py": FIXED}, **HX).content.decode()
    assert "Every check passes" in html and "✘" not in html
    assert "Why it broke, and why the fix works" in html
    assert "read optional ones with a default" in html
    assert "dict.get takes a default" in html  # the hints stay
    draft = _draft(client)
    assert draft.files["src/app.py"] == FIXED and draft.solved_at is not None
    assert (draft.tries, draft.failed_tries) == (3, 2)
    # Back on the page later: the code as last sent, the result, the explanation.
    page = client.get(PAGE).content.decode()
    assert "event.get(&#x27;name&#x27;, &#x27;world&#x27;)" in page
    assert "Every check passes" in page and "Why it broke" in page


@pytest.mark.django_db
def test_a_syntax_error_shows_at_its_file_and_line_and_leaves_the_sandbox_as_it_was(
        client, fixit_pattern, lab_cloud, lab):
    client.post(TRY, {"file:src/app.py": START}, **HX)
    learner = _learner(client)
    deployed = lab.deployment(learner, "fix-greeting")
    assert deployed is not None

    response = client.post(TRY, {"file:src/app.py": BROKEN}, **HX)
    html = response.content.decode()
    assert '<div id="file-errors-0" class="file-errors" hx-swap-oob="true">' in html
    errors = html[html.index('id="file-errors-0"'):html.index('id="file-errors-1"')]
    assert 'data-line="4"' in errors and "<strong>Line 4</strong> of <code>src/app.py</code>" \
        in errors and "SyntaxError" in errors
    assert "Not deployed" in html and "sandbox-changed" not in response.get("HX-Trigger", "")
    assert _draft(client).files["src/app.py"] == BROKEN  # what was typed is kept
    assert _draft(client).failed_tries == 2
    assert lab.deployment(learner, "fix-greeting") == deployed  # the sandbox as it was
    page = client.get(PAGE).content.decode()  # the error stays at its editor on the page
    assert "<strong>Line 4</strong> of <code>src/app.py</code>" in page
    assert "def handler(event, context)\n" in page


@pytest.mark.django_db
def test_a_path_that_is_not_editable_is_ignored(client, fixit_pattern, lab_cloud):
    client.post(TRY, {"file:src/app.py": BROKEN, "file:src/other.py": "print(1)",
                      "file:../../etc/passwd": "x"}, **HX)
    assert set(_draft(client).files) == {"src/app.py", "template.yaml"}


@pytest.mark.django_db
def test_without_javascript_a_try_redirects_to_the_page_showing_its_result(
        client, fixit_pattern, lab_cloud):
    response = client.post(TRY, {"file:src/app.py": FIXED})
    assert response.status_code == 302 and response["Location"] == PAGE + "#fixit-result"
    page = client.get(PAGE).content.decode()
    assert "Every check passes" in page and 'id="trace" aria-live="polite">' in page


@pytest.mark.django_db
def test_the_rate_limit_refuses_a_try_but_keeps_the_draft(client, fixit_pattern, settings):
    settings.RATE_LIMIT_RUN = "0/m"
    html = client.post(TRY, {"file:src/app.py": FIXED}, **HX).content.decode()
    assert "You have run more often than this lab allows" in html
    draft = _draft(client)
    assert draft.files["src/app.py"] == FIXED and draft.tries == 0


@pytest.mark.django_db
def test_a_post_over_the_size_limit_is_refused_where_the_learner_is(
        fixit_pattern, settings):
    """With the CSRF check on, as a browser meets it: the error names the limit, nothing is
    saved, and the editors are not in the answer (htmx swaps only the result)."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    browser = Client(enforce_csrf_checks=True)
    browser.get(PAGE)
    token = {"HTTP_X_CSRFTOKEN": browser.cookies["csrftoken"].value}
    response = browser.post(TRY, {"file:src/app.py": "x = 1\n" * 3000}, **HX, **token)
    html = response.content.decode()
    assert response.status_code == 200
    assert "over this site&#x27;s limit of 0.00953674 MB (10,000 bytes)" in html
    assert "<textarea" not in html
    assert not FixItDraft.objects.exists()
    # A form without JavaScript sends its token only inside the body too big to read: the
    # error is shown all the same (nothing is saved, so there is nothing to forge).
    without_js = browser.post(TRY, {"file:src/app.py": "x = 1\n" * 3000})
    assert without_js.status_code == 413 and b"10,000 bytes" in without_js.content
    assert not FixItDraft.objects.exists()
    assert browser.post(TRY, {"file:src/app.py": "x"}, **HX).status_code == 403  # no token


# -- the solution and a reset --------------------------------------------------------------

@pytest.mark.django_db
def test_the_solution_needs_confirming_then_fills_the_editors(client, fixit_pattern):
    client.get(PAGE)
    response = client.post(SOLUTION, {})
    assert response.status_code == 302
    page = client.get(PAGE).content.decode()
    assert CONFIRM_SOLUTION in page and "event.get(" not in page
    client.post(SOLUTION, {"confirm": "yes"})
    page = client.get(PAGE).content.decode()
    assert SOLUTION_SHOWN in page
    assert "event.get(&#x27;name&#x27;, &#x27;world&#x27;)" in page
    assert "Why it broke, and why the fix works" in page
    assert _draft(client).solution_shown_at is not None


@pytest.mark.django_db
def test_reset_needs_confirming_then_brings_back_the_start_and_leaves_the_sandbox(
        client, fixit_pattern, lab_cloud, lab):
    client.post(TRY, {"file:src/app.py": FIXED}, **HX)
    deployed = lab.deployment(_learner(client), "fix-greeting")
    client.post(RESET, {})
    assert _draft(client).files["src/app.py"] == FIXED
    assert CONFIRM_RESET.replace("'", "&#x27;") in client.get(PAGE).content.decode()
    client.post(RESET, {"confirm": "yes"})
    page = client.get(PAGE).content.decode()
    assert RESET_DONE.replace("'", "&#x27;") in page
    assert _draft(client).files["src/app.py"] == START
    assert "{event[&#x27;name&#x27;]}" in page and "No try yet" in page
    assert lab.deployment(_learner(client), "fix-greeting") == deployed


# -- whose draft ---------------------------------------------------------------------------

@pytest.mark.django_db
def test_another_learner_can_neither_read_nor_overwrite_a_draft(client, fixit_pattern,
                                                                 settings):
    settings.RATE_LIMIT_RUN = "0/m"  # no deploy needed: the draft is kept before the limit
    client.post(TRY, {"file:src/app.py": START + "# mine, secret\n"}, **HX)
    mine = _learner(client)

    other = Client()
    page = other.get(PAGE).content.decode()
    assert "mine, secret" not in page
    other.post(TRY, {"file:src/app.py": "# theirs\n", "learner": mine}, **HX)
    other.post(SOLUTION, {"confirm": "yes", "learner": mine})
    assert "mine, secret" in draft_files(mine, PATTERN, FIXIT)["src/app.py"]
    assert FixItDraft.objects.get(learner=mine).solution_shown_at is None
    assert draft_files(_learner(other), PATTERN, FIXIT)["src/app.py"] \
        == (FIXTURE / "fixits/greeting-name/solution/src/app.py").read_text()


@pytest.mark.django_db
def test_draft_files_are_the_start_until_a_draft_is_saved(fixit_pattern):
    assert draft_files("nobody", PATTERN, FIXIT) == {
        "src/app.py": START,
        "template.yaml": (FIXTURE / "fixits/greeting-name/start/template.yaml").read_text()}


# -- lab list ------------------------------------------------------------------------------

def test_lab_list_json_names_each_patterns_fixits(fixit_pattern, capsys):
    import json

    from django.core.management import call_command

    call_command("lab", "list", "--json")
    listed = {p["slug"]: p for p in json.loads(capsys.readouterr().out)}
    assert listed[PATTERN]["fixits"] == [{
        "slug": FIXIT, "title": "The greeter breaks on an event without a name",
        "kind": "missing-field"}]
    assert {"slug": "missing-permission", "kind": "missing-permission",
            "title": "The order handler cannot write its table"} in listed["rest-api"]["fixits"]
