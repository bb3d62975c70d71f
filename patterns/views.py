from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from serverless_lab.cloud.client import LabCloudError

from .catalog import catalog, pattern_get
from .diagrams import diagram_from_template
from .forms import RequestForm
from .lab import lab_client, learner_for
from .runs import run_request, run_scenario

UNKNOWN_SCENARIO = "This pattern has no scenario {slug!r}."


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
    pattern = _pattern_or_404(slug)
    selected = request.GET.get("scenario", pattern.default_scenario.slug)
    context = {
        "pattern": pattern,
        "diagram": diagram_from_template(pattern.folder),
        "form": RequestForm(initial=pattern.default_request),
        "selected_scenario": selected if selected in pattern.scenarios else None,
        "run": request.session.get(_last_run_key(pattern)),
    }
    return render(request, "patterns/detail.html", context)


@require_POST
def run(request, slug):
    """Run a scenario (the `scenario` field) or the learner's own request (the form)."""
    pattern = _pattern_or_404(slug)
    form = RequestForm(request.POST) if "scenario" not in request.POST else None
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
            trace = run_request(client=lab_client(), learner=learner_for(request),
                                pattern=pattern, **form.cleaned_data)
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
    context = {"pattern": pattern, "run": run_document, "run_error": error, "form": form}
    return render(request, "patterns/detail.html#trace", context)
