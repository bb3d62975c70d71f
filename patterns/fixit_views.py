"""A fix-it lab's page (issue 16): the story, the files the learner may edit (a textarea each,
which static/patterns/fixit.js makes a CodeMirror editor), and Deploy and check, which keeps
the files as the learner's draft before anything else, then deploys them to the learner's own
sandbox and runs the lab's checks (patterns.fixits.fixit_try). A hint after each failed try,
the solution and a reset on request, the explanation once every check passes.

Drafts are the requester's own (learner_for): nothing in a request names another learner.
Show the solution and Reset change only the draft: the fix-it's stack in the sandbox stays as
last deployed (the next try replaces it; Reset my sandbox on the sandbox page removes it).
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import Http404, QueryDict
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from accounts.ratelimit import rate_hit
from sandboxes.rebuild import SandboxRebuilding
from serverless_lab.cloud.client import LabCloudError

from .catalog import pattern_get
from .fixits import FixIt, FixItResult, fixit_try, pattern_fixits
from .history_views import run_views_context
from .lab import lab_client, learner_for
from .models import fixit_draft_get, fixit_draft_save, run_record_get, run_record_save
from .views import TOO_MANY_RUNS

FIELD = "file:"  # a posted editor's name: FIELD + the file's path
TOO_BIG = ("What you sent is over this site's limit of {limit} for one request: nothing was "
           "saved or deployed. Shorten your code and try again.")
CONFIRM_SOLUTION = "Tick the box to confirm: the solution replaces the code in your editors."
CONFIRM_RESET = "Tick the box to confirm: the starting code replaces the code in your editors."
SOLUTION_SHOWN = "The editors hold the solution now: deploy it to see every check pass."
RESET_DONE = ("The editors hold the starting code again. Your sandbox keeps what you last "
              "deployed until your next try replaces it.")
SANDBOX_CHANGED = "sandbox-changed"


def _fixit_or_404(slug: str, fixit: str):
    pattern = pattern_get(slug)
    found = pattern_fixits(pattern).get(fixit) if pattern else None
    if found is None:
        raise Http404(f"No fix-it lab {fixit!r} on {slug!r}")
    return pattern, found


def draft_files(learner: str, pattern_slug: str, fixit: FixIt | str) -> dict[str, str]:
    """The learner's files of the fix-it: their saved draft over the starting code (a
    classroom hand-in deploys these)."""
    if isinstance(fixit, str):
        _, fixit = _fixit_or_404(pattern_slug, fixit)
    draft = fixit_draft_get(learner=learner, pattern=pattern_slug, fixit=fixit.slug)
    saved = draft.files if draft else {}
    return {path: saved.get(path, text) for path, text in fixit.start_files().items()}


def result_document(result: FixItResult, *, run_id: int | None) -> dict:
    """What the draft keeps of a try, for the page to show again."""
    return {"deployed": result.deployed, "passed": result.passed, "run_id": run_id,
            "errors": [{"path": e.path, "line": e.line, "message": e.message}
                       for e in result.errors],
            "checks": [{"id": c.id, "title": c.title, "passed": c.passed,
                        "message": c.message} for c in result.checks]}


def _context(request, pattern, fixit: FixIt, *, error: str = "",
             errors_oob: bool = False) -> dict:
    learner = learner_for(request)
    draft = fixit_draft_get(learner=learner, pattern=pattern.slug, fixit=fixit.slug)
    files = draft_files(learner, pattern.slug, fixit)
    result = draft.last_result if draft else None
    at_file = [e for e in (result or {}).get("errors", []) if e["path"] in fixit.editable]
    editors = [{"path": path, "text": text, "index": n, "mode": _mode(path),
                "errors": [e for e in at_file if e["path"] == path]}
               for n, (path, text) in enumerate(files.items())]
    record = run_record_get(learner=learner, pattern=pattern.slug,
                            pk=result["run_id"]) if result and result.get("run_id") else None
    failed = draft.failed_tries if draft else 0
    return {"pattern": pattern, "fixit": fixit, "draft": draft, "editors": editors,
            "result": result, "fixit_error": error, "errors_oob": errors_oob,
            "general_errors": [e for e in (result or {}).get("errors", []) if e not in at_file],
            "hints": fixit.hints[:failed], "hints_left": len(fixit.hints) - min(failed,
                                                                                 len(fixit.hints)),
            "show_explanation": bool(draft and (draft.solved_at or draft.solution_shown_at)),
            **run_views_context(run=record.document if record else None, pattern=pattern,
                                run_id=record.pk if record else None)}


def _mode(path: str) -> str:
    return {"py": "python", "yaml": "yaml", "yml": "yaml"}.get(path.rsplit(".", 1)[-1], "")


@require_GET
@never_cache
def page(request, slug, fixit):
    pattern, found = _fixit_or_404(slug, fixit)
    return render(request, "patterns/fixit.html", _context(request, pattern, found))


def _posted_files(request, pattern, fixit: FixIt) -> dict[str, str]:
    """The editable files in the post (anything else posted is ignored), with the browser's
    CRLF line ends made LF again; a file not posted keeps its draft text."""
    current = draft_files(learner_for(request), pattern.slug, fixit)
    posted = {path: request.POST[FIELD + path].replace("\r\n", "\n")
              for path in fixit.editable if FIELD + path in request.POST}
    return {**current, **posted}


def _too_big(request) -> bool:
    """Whether the body is over DATA_UPLOAD_MAX_MEMORY_SIZE. Read here, before the CSRF
    check, which would otherwise meet the oversized body first and answer a bare 400."""
    try:
        request.POST  # noqa: B018 - reading it is the check
    except RequestDataTooBig:
        request.POST = QueryDict()  # the CSRF check falls back to the X-CSRFToken header
        return True
    return False


def _limit() -> str:
    size = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return f"{size / 1024 / 1024:g} MB ({size:,} bytes)"


@csrf_exempt  # checked in the view, after _too_big (the middleware would read the body first)
@transaction.non_atomic_requests  # waits on the lab cloud (views.run says why)
@require_POST
def try_fix(request, slug, fixit):
    """Deploy and check: keep the draft, deploy it, run the checks, show what they found."""
    too_big = _too_big(request)
    pattern, found = _fixit_or_404(slug, fixit)
    if too_big:
        # Nothing of the post is read, saved or deployed: answered before the CSRF check,
        # which needs the token inside the body that was too big to read (a form without
        # JavaScript has no X-CSRFToken header to fall back on).
        return _respond(request, pattern, found, error=TOO_BIG.format(limit=_limit()),
                        too_big=True)
    if (csrf_refused := CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})):
        return csrf_refused
    learner = learner_for(request)
    files = _posted_files(request, pattern, found)
    draft = fixit_draft_save(learner=learner, pattern=pattern.slug, fixit=found.slug,
                             files=files)
    verdict = rate_hit(scope="run", key=learner, rate=settings.RATE_LIMIT_RUN)
    if not verdict.allowed:
        return _respond(request, pattern, found, error=TOO_MANY_RUNS.format(
            rate=settings.RATE_LIMIT_RUN, seconds=verdict.retry_after))
    try:
        result = fixit_try(client=lab_client(), learner=learner, pattern=pattern,
                           fixit=found, files=files)
    except (SandboxRebuilding, LabCloudError) as e:
        return _respond(request, pattern, found, error=str(e))
    run_id = run_record_save(learner=learner, pattern=pattern.slug,
                             document=result.trace.as_json()).pk if result.trace else None
    draft.tries += 1
    draft.failed_tries += 0 if result.passed else 1
    if result.passed and draft.solved_at is None:
        draft.solved_at = timezone.now()
    draft.last_result = result_document(result, run_id=run_id)
    draft.save()
    response = _respond(request, pattern, found)
    return trigger_client_event(response, SANDBOX_CHANGED) if result.deployed else response


def _respond(request, pattern, fixit, *, error: str = "", too_big: bool = False):
    """The result (htmx: the result box, with each editor's errors swapped beside it, the
    editors themselves untouched), or, without JavaScript, back to the page."""
    if request.htmx:
        # 200 even for a refusal: htmx swaps only 2xx here (templates/base.html's config).
        return render(request, "patterns/fixit.html#result",
                      _context(request, pattern, fixit, error=error, errors_oob=True))
    if too_big:  # nothing of the post could be read: the page, with the error
        return render(request, "patterns/fixit.html",
                      _context(request, pattern, fixit, error=error), status=413)
    if error:
        messages.error(request, error)
    return redirect(reverse("patterns:fixit", args=[pattern.slug, fixit.slug])
                    + "#fixit-result")


def _replace_files(request, slug, fixit, *, confirm_error: str, done: str, solution: bool):
    pattern, found = _fixit_or_404(slug, fixit)
    if request.POST.get("confirm") != "yes":
        messages.error(request, confirm_error)
    else:
        fields = {"last_result": None}
        if solution:
            fields["solution_shown_at"] = timezone.now()
        fixit_draft_save(learner=learner_for(request), pattern=pattern.slug, fixit=found.slug,
                         files=found.solution_files() if solution else found.start_files(),
                         **fields)
        messages.success(request, done)
    return redirect(reverse("patterns:fixit", args=[pattern.slug, found.slug]) + "#editors")


@require_POST
def solution(request, slug, fixit):
    """Show the solution: the editors (the draft) hold it, and the explanation shows."""
    return _replace_files(request, slug, fixit, confirm_error=CONFIRM_SOLUTION,
                          done=SOLUTION_SHOWN, solution=True)


@require_POST
def reset(request, slug, fixit):
    """Reset to the starting code: the draft only (the module docstring says why)."""
    return _replace_files(request, slug, fixit, confirm_error=CONFIRM_RESET, done=RESET_DONE,
                          solution=False)
