"""Your sandbox: what the learner's deployed stack holds now (a panel on the pattern page and a
page of its own), its objects for download, Reset my sandbox, and Invoke with your own event.

Everything here reads or changes the requesting learner's own sandbox (learner_for), through
the lab's control API: the lab cloud answers for that learner's account alone.
"""

import base64
import json
import re

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, HttpResponseNotFound
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, retarget, trigger_client_event

from accounts.ratelimit import rate_hit, refused
from serverless_lab.cloud.client import LabCloudError

from .events import EventError, event_invoke, event_parse, function_events
from .history_views import run_views_context
from .lab import lab_client, learner_for
from .models import run_record_save
from .views import TOO_MANY_RUNS, _last_run_key, _pattern_or_404, _run_context

SANDBOX_CHANGED = "sandbox-changed"  # the client event the panel refreshes on
CONFIRM_RESET = "Tick the box to confirm: resetting deletes everything in your sandbox."
RESET_DONE = "Your sandbox is empty: every stack, item, object and message is gone."
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


@require_GET
@never_cache
def sandbox(request, slug):
    """The panel (htmx) or the page: this pattern's stack in the learner's sandbox, one page
    of each table's items (`table` and `start` for a later page of one table)."""
    pattern = _pattern_or_404(slug)
    context = {"pattern": pattern, **_inventory(request, pattern)}
    if request.htmx:
        return render(request, "patterns/sandbox.html#panel", context)
    return render(request, "patterns/sandbox.html", {
        **context, "function_events": function_events(pattern=pattern),
        **_run_context(request, pattern)})


@require_GET
def sandbox_events(request, slug):
    """The event editors, one per function (the pattern page loads them with htmx)."""
    pattern = _pattern_or_404(slug)
    context = {"pattern": pattern, "function_events": function_events(pattern=pattern)}
    if request.htmx:
        return render(request, "patterns/sandbox.html#events", context)
    return redirect(reverse("patterns:sandbox", args=[slug]) + "#events")


@require_GET
@never_cache
def sandbox_object(request, slug):
    """One object of the learner's own buckets: images shown inline, anything else as a
    download (never rendered by the browser as a page of this site)."""
    _pattern_or_404(slug)
    bucket, key = request.GET.get("bucket", ""), request.GET.get("key", "")
    # Answered, not raised: a raised 404 would roll back the anonymous learner's new session.
    if not bucket or not key:
        return HttpResponseNotFound("Name a bucket and a key.", content_type="text/plain")
    try:
        found = lab_client().inventory(learner_for(request), bucket=bucket, key=key)["object"]
    except LabCloudError as e:
        return HttpResponseNotFound(str(e), content_type="text/plain")
    inline = found["content_type"] in IMAGE_TYPES and "download" not in request.GET
    response = HttpResponse(base64.b64decode(found["body_base64"]),
                            content_type=found["content_type"] if inline
                            else "application/octet-stream")
    # Only plain characters in the header: a key may hold quotes, newlines or anything else.
    name = re.sub(r"[^\w.\- ]", "_", key.rsplit("/", 1)[-1]) or "object"
    response["Content-Disposition"] = f'{"inline" if inline else "attachment"}; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
def sandbox_reset(request, slug):
    """Reset my sandbox: every stack and all it holds deleted, new credentials issued."""
    pattern = _pattern_or_404(slug)
    error = None
    if request.POST.get("confirm") != "yes":
        error = CONFIRM_RESET
    else:
        try:
            lab_client().reset(learner_for(request))
        except LabCloudError as e:
            error = str(e)
    if not request.htmx:
        messages.add_message(request, messages.ERROR if error else messages.SUCCESS,
                             error or RESET_DONE)
        return redirect(reverse("patterns:sandbox", args=[slug]))
    response = render(request, "patterns/sandbox.html#reset",
                      {"pattern": pattern, "reset_error": error,
                       "reset_done": RESET_DONE if error is None else None})
    return response if error else trigger_client_event(response, SANDBOX_CHANGED)


@require_POST
def sandbox_invoke(request, slug):
    """Invoke one of the pattern's functions with the learner's own event, traced."""
    pattern = _pattern_or_404(slug)
    function, text = request.POST.get("function", ""), request.POST.get("event", "")
    verdict = rate_hit(scope="run", key=learner_for(request), rate=settings.RATE_LIMIT_RUN)
    if not verdict.allowed:
        return refused(_event_refused(request, pattern, function, text, TOO_MANY_RUNS.format(
            rate=settings.RATE_LIMIT_RUN, seconds=verdict.retry_after)), verdict)
    try:
        trace = event_invoke(client=lab_client(), learner=learner_for(request),
                             pattern=pattern, function=function, event=event_parse(text))
    except (EventError, LabCloudError) as e:
        return _event_refused(request, pattern, function, text, str(e))
    run_document = trace.as_json()
    # Kept as the pattern page keeps a run (views.run): the last one, and in the history.
    run_id = run_record_save(learner=learner_for(request), pattern=pattern.slug,
                             document=run_document).pk
    request.session[_last_run_key(pattern)] = run_document
    request.session[_last_run_key(pattern) + ":id"] = run_id
    if not request.htmx:
        return redirect(reverse("patterns:sandbox", args=[slug]) + "#trace")
    response = render(request, "patterns/detail.html#trace", {
        "pattern": pattern, **run_views_context(run=run_document, pattern=pattern,
                                                run_id=run_id)})
    return trigger_client_event(response, SANDBOX_CHANGED)


def _event_refused(request, pattern, function: str, text: str, error: str):
    """The error beside the editor (htmx), or the sandbox page with the learner's event kept
    in its editor and the error under it."""
    context = {"pattern": pattern, "invoke_function": function, "invoke_event": text,
               "invoke_error": error}
    known = {f.function for f in function_events(pattern=pattern)}
    if request.htmx and function in known:
        response = render(request, "patterns/sandbox.html#event-error", context)
        return reswap(retarget(response, f"#event-error-{function}"), "outerHTML")
    if request.htmx:
        return render(request, "patterns/detail.html#trace",
                      {"pattern": pattern, "run_error": error})
    return render(request, "patterns/sandbox.html", {
        **_run_context(request, pattern), **context, **_inventory(request, pattern),
        "function_events": function_events(pattern=pattern)}, status=400)


def _inventory(request, pattern) -> dict:
    if not request.user.is_authenticated and not request.session.session_key:
        # A visitor who has run nothing has no sandbox: none is made just to show it empty.
        return {"inventory": {"deployed": False}, "inventory_error": None}
    try:
        found = lab_client().inventory(learner_for(request), stack=pattern.slug,
                                       table=request.GET.get("table") or None,
                                       start=request.GET.get("start") or None)
    except LabCloudError as e:
        return {"inventory": None, "inventory_error": str(e)}
    for table in found["tables"]:
        columns = list(table["keys"])
        for item in table["items"]:
            columns += [k for k in item if k not in columns]
        table["columns"] = columns
        table["rows"] = [[_cell(item.get(c)) for c in columns] for item in table["items"]]
    return {"inventory": found, "inventory_error": None}


def _cell(value) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)
