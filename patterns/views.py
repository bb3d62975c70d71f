from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts.ratelimit import rate_hit, refused
from serverless_lab.cloud.client import LabCloudError

from .aws_cli import deploy_commands, trigger_commands
from .catalog import catalog, pattern_get
from .diagrams import diagram_from_template
from .export import pattern_zip
from .forms import ClockForm, RequestForm
from .lab import lab_client, learner_for
from .lint import template_findings
from .own_tools import own_tools_get
from .runs import run_clock, run_request, run_scenario
from .sequence import sequence_from_run

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
        "diagram": diagram_from_template(pattern.folder),
        "form": RequestForm(initial=pattern.default_request),
        "clock_form": ClockForm() if pattern.has_schedules else None,
        "selected_scenario": selected if selected in pattern.scenarios else None,
        "findings": template_findings(pattern.template_text),
        "deploy_commands": deploy_commands(pattern),
        "trigger_commands": trigger_commands(pattern),
        **_run_context(request.session.get(_last_run_key(pattern))),
    }


def _run_context(run_document: dict | None) -> dict:
    return {"run": run_document,
            "sequence": sequence_from_run(run_document) if run_document else ""}


@require_GET
def download(request, slug):
    """The pattern as a SAM project zip, ready for `sam deploy` on real AWS."""
    pattern = _pattern_or_404(slug)
    response = HttpResponse(pattern_zip(pattern), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{pattern.slug}.zip"'
    return response


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
    except LabCloudError as e:
        error = str(e)
    run_document = trace.as_json() if trace else None
    if run_document:
        request.session[_last_run_key(pattern)] = run_document
    if form is not None and form.errors:
        error = " ".join(e for errors in form.errors.values() for e in errors)
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect(f"{request.path.removesuffix('run/')}#run")
    context = {"pattern": pattern, "run_error": error, "form": form,
               **_run_context(run_document)}
    return render(request, "patterns/detail.html#trace", context)


def _run_refused(request, pattern, error: str):
    """The refusal where the learner is: in the trace region (htmx), or on the page."""
    if request.htmx:
        return render(request, "patterns/detail.html#trace",
                      {"pattern": pattern, "run_error": error,
                       **_run_context(request.session.get(_last_run_key(pattern)))})
    messages.error(request, error)
    return render(request, "patterns/detail.html", _page_context(request, pattern))
