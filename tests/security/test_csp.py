"""The Content Security Policy is sent, and no page could need more than it allows: every
page of the site rendered, and every template file read, carries no inline <script> (but a
non-executable type="application/json" block), no on*= handler attribute, and no htmx
attribute that htmx could only honour by eval."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import get_resolver, resolve
from django.utils import timezone

from patterns.catalog import catalog
from patterns.models import RunRecord
from quizzes import bank
from quizzes.exams import exam_grade
from quizzes.models import ExamAttempt
from quizzes.store import bank_store

ROOT = Path(settings.BASE_DIR)
# Named routes that answer no HTML page of their own (POST-only, or a file download).
NOT_PAGES = {"patterns:run", "patterns:widget", "patterns:download", "patterns:sandbox_object",
             "patterns:fixit_reset", "patterns:fixit_solution",  # POST, then a redirect
             "quizzes:practice_answer",
             "quizzes:exam_start", "quizzes:exam_save", "quizzes:results_csv",
             "accounts:logout"}
CHECKED_NAMESPACES = ("patterns", "quizzes", "accounts")


class ScriptFinder(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and "src" not in attributes \
                and attributes.get("type") != "application/json":
            self.found.append(f"inline <script> at line {self.getpos()[0]}")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...> at line {self.getpos()[0]}")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                    "javascript:"):
                self.found.append(f"<{tag} {name}=javascript:...> at line {self.getpos()[0]}")


def inline_script(html: str) -> list[str]:
    finder = ScriptFinder()
    finder.feed(html)
    return finder.found


@pytest.mark.parametrize("html, found", [
    ('<script src="/static/x.js"></script>', False),
    ('<script type="application/json" id="d">{"a": 1}</script>', False),
    ("<script>alert(1)</script>", True),
    ('<script type="module">alert(1)</script>', True),
    ('<button onclick="go()">Go</button>', True),
    ('<a href="javascript:go()">Go</a>', True),
])
def test_the_finder_finds_inline_script(html, found):
    assert bool(inline_script(html)) is found


def question(qid: str, domain: str) -> bank.Question:
    return bank.Question(id=qid, type="single", stem=f"Stem of {qid}?", domain=domain,
                         exam=("SAA-C03",), patterns=("rest-api",), options=tuple(
                             bank.Option(text=f"{qid} {n}", correct=n == 0, why=f"Why {n}.")
                             for n in range(4)))


@pytest.fixture
def site_pages(client, db, django_user_model, lab_cloud):
    """Every page of the site, as a learner meets them: path -> HTML."""
    bank_store(questions=[question(f"{d}-{n}", d) for d in bank.DOMAINS for n in range(20)])
    paths = ["/", "/patterns/glossary/", "/patterns/compare/", "/patterns/security/",
             *(f"/patterns/{slug}/" for slug in catalog()),
             "/quizzes/", "/quizzes/practice/", "/quizzes/practice/q/secure-0/",
             "/quizzes/review/", "/quizzes/progress/", "/accounts/login/", "/accounts/signup/",
             "/admin/login/"]
    pages = {path: get_page(client, path) for path in paths}
    # Fragments htmx swaps in, and the pages behind them.
    pages["run fragment"] = client.post("/patterns/rest-api/run/", {"scenario": "nope"},
                                        HTTP_HX_REQUEST="true").content.decode()
    pages["/patterns/rest-api/own-tools/"] = get_page(client, "/patterns/rest-api/own-tools/")
    pages["own-tools fragment"] = client.get("/patterns/rest-api/own-tools/",
                                             HTTP_HX_REQUEST="true").content.decode()
    # The run's pages: a run that passes (its timeline and cost), the history, a reopened run.
    pages["run fragment, passed"] = client.post(
        "/patterns/rest-api/run/", {"scenario": "create-then-get"},
        HTTP_HX_REQUEST="true").content.decode()
    for path in ("/patterns/rest-api/sandbox/", "/patterns/rest-api/runs/",
                 "/patterns/rest-api/fix/missing-permission/"):
        pages[path] = get_page(client, path)
    pages["/patterns/rest-api/sandbox/events/ (fragment)"] = client.get(
        "/patterns/rest-api/sandbox/events/", HTTP_HX_REQUEST="true").content.decode()
    run_pk = RunRecord.objects.latest("pk").pk
    for path in (f"/patterns/rest-api/runs/{run_pk}/",
                 f"/patterns/rest-api/runs/{run_pk}/cost/?runs_per_day=1000"):
        pages[path] = get_page(client, path)
    # What the pattern page's forms answer with (HTML fragments, refusals included).
    posts = {"/patterns/rest-api/sandbox/reset/": {},  # unconfirmed: refused, in place
             "/patterns/rest-api/sandbox/invoke/": {"function": "CreateOrderFunction",
                                                     "event": "{not json"},
             "/patterns/rest-api/experiments/cold-starts/predict/": {"prediction": "0"},
             "/patterns/rest-api/experiments/cold-starts/run/": {"knob": "not a value"},
             # A fix-it's try refused at its editor (a template that does not parse).
             "/patterns/rest-api/fix/missing-permission/try/": {
                 "file:template.yaml": "Resources: [unclosed\n"}}
    for path, data in posts.items():
        pages[f"{path} (POST)"] = client.post(path, data, HTTP_HX_REQUEST="true"
                                              ).content.decode()
    answered = client.post("/quizzes/practice/q/secure-0/answer/", {"answer": "A"})
    pages[answered["Location"]] = get_page(client, answered["Location"])
    exam = client.post("/quizzes/exam/start/")["Location"]
    pages[exam] = get_page(client, exam)
    pk = int(exam.split("/")[3])
    pages[f"/quizzes/exam/{pk}/timer/"] = get_page(client, f"/quizzes/exam/{pk}/timer/")
    exam_grade(attempt=ExamAttempt.objects.get(pk=pk), now=timezone.now())
    pages[f"/quizzes/exam/{pk}/result/"] = get_page(client, f"/quizzes/exam/{pk}/result/")
    client.force_login(django_user_model.objects.create_user("ada"))
    pages["/ signed in"] = get_page(client, "/")
    return pages


def get_page(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def test_the_policy_is_sent_and_allows_no_inline_or_eval_script(client, db):
    policy = client.get("/").headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'" and directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-eval" not in policy
    for path in ("/accounts/login/", "/quizzes/", "/patterns/rest-api/"):
        assert client.get(path).headers["Content-Security-Policy"] == policy


def test_no_page_of_the_site_has_inline_script(site_pages):
    found = {path: inline_script(html) for path, html in site_pages.items()}
    assert {path: f for path, f in found.items() if f} == {}


def test_every_page_route_is_rendered_above(site_pages):
    # A new page in these apps must join site_pages (or NOT_PAGES if it serves no HTML).
    rendered = {resolve(path.split()[0].split("?")[0]).view_name for path in site_pages
                if path.startswith("/")}
    routes = {f"{namespace}:{name}" for namespace in CHECKED_NAMESPACES
              for name in get_resolver().namespace_dict[namespace][1].reverse_dict
              if isinstance(name, str)}
    assert routes - NOT_PAGES - rendered == set()


TEMPLATE_DIRS = [ROOT / "templates", *ROOT.glob("*/templates")]
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=[\"']application/json)[^>]*>",
                           re.I)
HANDLER_ATTRIBUTE = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=(?!=)", re.I)
# What htmx can only do by eval, which the policy forbids: hx-on handlers, trigger filters
# (`hx-trigger="keyup[ctrlKey]"`), `js:` values.
HTMX_EVAL = re.compile(r"\shx-on[:-]|\shx-trigger=[\"'][^\"']*\[|\shx-(?:vals|headers)=[\"']\s*"
                       r"(?:js|javascript):", re.I)


@pytest.mark.parametrize("text, found", [
    ('<script src="{% static \'x.js\' %}" defer></script>', False),
    ('{{ data|json_script:"data" }}<script type="application/json">{}</script>', False),
    ("<script>\n  go();\n</script>", True),
    ('<form hx-post="/x" onsubmit="return go()">', True),
    ('<input type="checkbox"\n       onchange="go()">', True),
    ('{% if option == "a" %}<p class="on">x</p>{% endif %}', False),
    ('<div hx-get="/x" hx-trigger="every 3s">', False),
    ('<button hx-on:click="go()">', True),
    ('<input hx-get="/x" hx-trigger="keyup[ctrlKey]">', True),
    ("<div hx-vals='js:{a: 1}'>", True),
])
def test_the_template_patterns_find_inline_script(text, found):
    assert any(p.search(text) for p in (INLINE_SCRIPT, HANDLER_ATTRIBUTE, HTMX_EVAL)) is found


def test_no_template_file_has_inline_script():
    # Catches what no page above renders (a page of another app, an error page, a branch).
    templates = [p for d in TEMPLATE_DIRS for p in d.rglob("*.html")]
    assert len(templates) > 15
    found = [f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, match.start()) + 1}"
             for path in templates for text in [path.read_text()]
             for pattern in (INLINE_SCRIPT, HANDLER_ATTRIBUTE, HTMX_EVAL)
             for match in pattern.finditer(text)]
    assert found == []
