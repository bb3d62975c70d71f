from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from accounts.ratelimit import rate_hit, refused
from sandboxes.rebuild import SandboxRebuilding
from sandboxes.views import rebuilding_response
from serverless_lab.cloud.client import LabCloudError

from .aws_cli import deploy_commands, trigger_commands
from .catalog import catalog, pattern_get
from .diagrams import diagram_from_template
from .export import pattern_zip
from .forms import ClockForm, RequestForm
from .history_views import run_views_context
from .lab import lab_client, learner_for
from .lint import template_findings
from .models import run_record_save
from .own_tools import own_tools_get
from .runs import run_clock, run_request, run_scenario

UNKNOWN_SCENARIO = "This pattern has no scenario {slug!r}."
TOO_MANY_RUNS = ("You have run more often than this lab allows ({rate}). "
                 "Run again in {seconds} seconds.")


def _pattern_or_404(slug):
    pattern = pattern_get(slug)
    if pattern is None:
        raise Http404(f"No pattern {slug!r}")
    return pattern


def _last_run_key(pattern) -> str:
    return f"last_run:{pattern.slug}"


@require_GET
def index(request):
    return render(request, "patterns/index.html", {"patterns": catalog().values()})


@require_GET
def detail(request, slug):
    return render(request, "patterns/detail.html", _page_context(request, _pattern_or_404(slug)))


def _page_context(request, pattern) -> dict:
    selected = request.GET.get("scenario", pattern.default_scenario.slug)
    return {
        "pattern": pattern,
        "form": RequestForm(initial=pattern.default_request),
        "clock_form": ClockForm() if pattern.has_schedules else None,
        "selected_scenario": selected if selected in pattern.scenarios else None,
        **_template_figures(pattern),
        **_run_context(request, pattern),
    }


def _template_figures(pattern) -> dict:
    """What the page shows of the pattern's template, worked out once per template text (the
    YAML parsed twice made half of a page's time under a class's load, issue 13)."""
    # Keyed by the template file's modification time: a stat, not a read, on every page.
    key = (pattern.slug, str(pattern.folder),
           (pattern.folder / "template.yaml").stat().st_mtime_ns, repr(pattern.default_request))
    if (found := _FIGURES.get(key)) is None:
        if len(_FIGURES) > 256:  # patterns imported and changed: forget the old texts
            _FIGURES.clear()
        found = _FIGURES[key] = {"diagram": diagram_from_template(pattern.folder),
                                 "findings": template_findings(pattern.template_text),
                                 "deploy_commands": deploy_commands(pattern),
                                 "trigger_commands": trigger_commands(pattern)}
    return found


_FIGURES: dict[tuple, dict] = {}


def _run_context(request, pattern) -> dict:
    """The learner's last run of the pattern (this session's), with its timeline and cost."""
    return run_views_context(run=request.session.get(_last_run_key(pattern)), pattern=pattern,
                             run_id=request.session.get(_last_run_key(pattern) + ":id"))


@require_GET
def download(request, slug):
    """The pattern as a SAM project zip, ready for `sam deploy` on real AWS."""
    pattern = _pattern_or_404(slug)
    response = HttpResponse(pattern_zip(pattern), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{pattern.slug}.zip"'
    return response


# Views that wait on the lab cloud are not one transaction: on SQLite a request's transaction
# holds the database's write lock, which every other request would wait for (issue 13).
@transaction.non_atomic_requests
@require_GET
@never_cache
def own_tools(request, slug):
    """The "Use your own tools" panel: this learner's credentials and the AWS CLI commands
    for their sandbox. Never cached: the keys are this session's alone."""
    pattern = _pattern_or_404(slug)
    context = {"pattern": pattern, "own_tools_error": None}
    try:
        context["own_tools"] = own_tools_get(client=lab_client(), learner=learner_for(request),
                                             pattern=pattern)
    except LabCloudError as e:
        context["own_tools_error"] = str(e)
    if request.htmx:
        return render(request, "patterns/detail.html#own-tools", context)
    return render(request, "patterns/detail.html", {**_page_context(request, pattern),
                                                    **context})


@transaction.non_atomic_requests
@require_POST
def run(request, slug):
    """Run a scenario (the `scenario` field), fast-forward the sandbox clock (the clock form,
    `advance`) or send the learner's own request (the request form)."""
    pattern = _pattern_or_404(slug)
    verdict = rate_hit(scope="run", key=learner_for(request), rate=settings.RATE_LIMIT_RUN)
    if not verdict.allowed:
        return refused(_run_refused(request, pattern, TOO_MANY_RUNS.format(
            rate=settings.RATE_LIMIT_RUN, seconds=verdict.retry_after)), verdict)
    form = (None if "scenario" in request.POST
            else ClockForm(request.POST) if "advance" in request.POST
            else RequestForm(request.POST))
    trace, error = None, None
    try:
        if form is None:
            scenario = pattern.scenarios.get(request.POST["scenario"])
            if scenario is None:
                error = UNKNOWN_SCENARIO.format(slug=request.POST["scenario"])
            else:
                trace = run_scenario(client=lab_client(), learner=learner_for(request),
                                     pattern=pattern, scenario=scenario)
        elif form.is_valid():
            action = run_clock if isinstance(form, ClockForm) else run_request
            trace = action(client=lab_client(), learner=learner_for(request), pattern=pattern,
                           **form.cleaned_data)
    except SandboxRebuilding as e:  # by the task worker: the region polls until it is done
        if request.htmx:
            return rebuilding_response(request)
        error = str(e)
    except LabCloudError as e:
        error = str(e)
    run_document, run_id = trace.as_json() if trace else None, None
    if run_document:
        run_id = run_record_save(learner=learner_for(request), pattern=pattern.slug,
                                 document=run_document).pk
        request.session[_last_run_key(pattern)] = run_document
        request.session[_last_run_key(pattern) + ":id"] = run_id
    if form is not None and form.errors:
        error = " ".join(e for errors in form.errors.values() for e in errors)
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(f"{request.path.removesuffix('run/')}#run")
    context = {"pattern": pattern, "run_error": error, "form": form,
               **run_views_context(run=run_document, pattern=pattern, run_id=run_id)}
    # The "Your sandbox" panel (sandbox_views.py) refreshes on this event.
    return trigger_client_event(render(request, "patterns/detail.html#trace", context),
                                "sandbox-changed")


def _run_refused(request, pattern, error: str):
    """The refusal where the learner is: in the trace region (htmx), or on the page."""
    if request.htmx:
        return render(request, "patterns/detail.html#trace",
                      {"pattern": pattern, "run_error": error,
                       **_run_context(request, pattern)})
    messages.error(request, error)
    return render(request, "patterns/detail.html", _page_context(request, pattern))
