"""A learner's run history: their last runs of a pattern, each reopened with its trace,
timeline and cost, and the cost projection a run's page asks for (htmx). Only the learner's
own runs: another learner's is a 404, as if it did not exist."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .catalog import pattern_get
from .costs import RUNS_PER_DAY_DEFAULT, RUNS_PER_DAY_MAX, cost_projection, run_cost
from .diagrams import diagram_from_template
from .lab import learner_for
from .models import run_record_get, run_records_recent
from .sequence import sequence_from_run
from .timeline import replay_from_run, timeline_from_run

BAD_RUNS_PER_DAY = f"Runs a day must be a whole number from 0 to {RUNS_PER_DAY_MAX:,}."


def run_views_context(*, run: dict | None, pattern, run_id: int | None = None,
                      runs_per_day: int = RUNS_PER_DAY_DEFAULT) -> dict:
    """What the trace fragment shows besides the steps: the sequence diagram, the timeline,
    the replay on the architecture diagram and the cost with its projection."""
    if not run:
        return {"run": run, "sequence": ""}
    cost = run_cost(run=run)
    nodes = {n: layer for n, (layer, _) in diagram_of(pattern).nodes.items()}
    return {"run": run, "run_id": run_id, "sequence": sequence_from_run(run),
            "timeline": timeline_from_run(run=run), "replay": replay_from_run(run=run,
                                                                              nodes=nodes),
            "cost": cost, "projection": cost_projection(cost=cost, runs_per_day=runs_per_day)}


def diagram_of(pattern):
    """The pattern's architecture diagram, drawn once per template text (parsing the YAML on
    every run would cost a class's server what views._template_figures saves it)."""
    key = (str(pattern.folder), pattern.template_text)
    if (found := _DIAGRAMS.get(key)) is None:
        if len(_DIAGRAMS) > 256:
            _DIAGRAMS.clear()
        found = _DIAGRAMS[key] = diagram_from_template(pattern.folder)
    return found


_DIAGRAMS: dict[tuple, object] = {}


def _pattern_or_404(slug):
    pattern = pattern_get(slug)
    if pattern is None:
        raise Http404(f"No pattern {slug!r}")
    return pattern


def _record_or_404(request, pattern, pk):
    record = run_record_get(learner=learner_for(request), pattern=pattern.slug, pk=pk)
    if record is None:
        raise Http404("No such run of yours")
    return record


@require_GET
@never_cache
def history(request, slug):
    """The learner's last runs of the pattern, newest first."""
    pattern = _pattern_or_404(slug)
    context = {"pattern": pattern,
               "records": run_records_recent(learner=learner_for(request), pattern=slug)}
    if request.htmx:
        return render(request, "patterns/run_history.html#history", context)
    return render(request, "patterns/run_history.html", context)


@require_GET
@never_cache
def run_detail(request, slug, pk):
    """One of the learner's runs, reopened: its trace, timeline and cost."""
    pattern = _pattern_or_404(slug)
    record = _record_or_404(request, pattern, pk)
    return render(request, "patterns/run.html", {
        "pattern": pattern, "record": record, "diagram": diagram_of(pattern),
        **run_views_context(run=record.document, pattern=pattern, run_id=record.pk)})


@require_GET
@never_cache
def run_cost_projection(request, slug, pk):
    """The month's bill at `runs_per_day` runs of this run (the cost table's number field)."""
    pattern = _pattern_or_404(slug)
    record = _record_or_404(request, pattern, pk)
    raw = request.GET.get("runs_per_day", "").strip()
    context = {"pattern": pattern}
    cost = run_cost(run=record.document)
    if not raw.isdigit() or int(raw) > RUNS_PER_DAY_MAX:
        context["projection_error"] = BAD_RUNS_PER_DAY
        status = 400 if not request.htmx else 200  # htmx swaps only a 2xx answer
    else:
        context["projection"] = cost_projection(cost=cost, runs_per_day=int(raw))
        status = 200
    if request.htmx:
        return render(request, "patterns/_cost.html#projection", context, status=status)
    return render(request, "patterns/run.html", {
        "record": record, "diagram": diagram_of(pattern),
        **run_views_context(run=record.document, pattern=pattern, run_id=record.pk),
        **context}, status=status)
