"""An experiment on a pattern's page: the learner predicts, runs it in their own sandbox (the
run is traced like a scenario's and becomes the page's trace), reads the explanation, turns
the knob and runs again. Plain forms that htmx enhances: without JavaScript each POST
redirects back to the experiment. The sandbox is always the requester's own (learner_for):
nothing in the request can name another learner's."""

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from accounts.ratelimit import rate_hit
from sandboxes.rebuild import SandboxRebuilding
from serverless_lab.cloud.client import LabCloudError

from .catalog import pattern_get
from .experiments import experiment_run, pattern_experiments
from .history_views import run_views_context
from .lab import lab_client, learner_for
from .models import run_record_save
from .templatetags.experiment_tags import experiment_context, experiment_state_key
from .views import TOO_MANY_RUNS, _last_run_key

PREDICT_FIRST = "Pick a prediction first: what do you expect to happen?"
UNKNOWN_PREDICTION = "Choose one of the predictions listed."
RUNS_KEPT = 6  # the results a learner compares, newest first


def _experiment_or_404(slug: str, experiment: str):
    pattern = pattern_get(slug)
    found = pattern_experiments(pattern).get(experiment) if pattern else None
    if found is None:
        raise Http404(f"No experiment {experiment!r} on {slug!r}")
    return pattern, found


def _respond(request, pattern, experiment, *, error: str = "", trace: dict | None = None,
             run_id: int | None = None):
    """The experiment's box (htmx: with the page's trace swapped out of band after a run),
    or, without JavaScript, back to it on the page, the error kept for it to show."""
    if not request.htmx:
        if error:
            state = request.session.get(experiment_state_key(pattern, experiment), {})
            request.session[experiment_state_key(pattern, experiment)] = {**state,
                                                                         "error": error}
        return redirect(reverse("patterns:detail", args=[pattern.slug])
                        + f"#experiment-{experiment.slug}")
    context = experiment_context(request, pattern, experiment, error=error)
    if trace is not None:
        context.update(trace_oob=True, **run_views_context(run=trace, pattern=pattern,
                                                           run_id=run_id))
    response = render(request, "patterns/_experiment.html", context)
    return trigger_client_event(response, "sandbox-changed") if trace else response


@require_POST
def predict(request, slug, experiment):
    pattern, found = _experiment_or_404(slug, experiment)
    prediction = found.prediction(request.POST.get("prediction", ""))
    if prediction is None:
        return _respond(request, pattern, found, error=UNKNOWN_PREDICTION)
    key = experiment_state_key(pattern, found)
    request.session[key] = {**request.session.get(key, {}), "prediction": prediction.slug}
    return _respond(request, pattern, found)


@transaction.non_atomic_requests  # waits on the lab cloud (views.run says why)
@require_POST
def run(request, slug, experiment):
    pattern, found = _experiment_or_404(slug, experiment)
    learner = learner_for(request)
    key = experiment_state_key(pattern, found)
    state = request.session.get(key, {})
    prediction = found.prediction(state.get("prediction", ""))
    if prediction is None:
        return _respond(request, pattern, found, error=PREDICT_FIRST)
    try:
        knob_value = found.knob.value_checked(request.POST.get("knob", ""))
    except ValueError as e:
        return _respond(request, pattern, found, error=str(e))
    verdict = rate_hit(scope="run", key=learner, rate=settings.RATE_LIMIT_RUN)
    if not verdict.allowed:
        return _respond(request, pattern, found, error=TOO_MANY_RUNS.format(
            rate=settings.RATE_LIMIT_RUN, seconds=verdict.retry_after))
    try:
        result = experiment_run(client=lab_client(), learner=learner, pattern=pattern,
                                experiment=found, knob_value=knob_value, prediction=prediction)
    except (SandboxRebuilding, LabCloudError) as e:
        return _respond(request, pattern, found, error=str(e))
    document = result.trace.as_json()
    run_id = run_record_save(learner=learner, pattern=pattern.slug, document=document).pk
    request.session[_last_run_key(pattern)] = document
    request.session[_last_run_key(pattern) + ":id"] = run_id
    shown = {"knob": result.knob_value, "prediction": prediction.slug,
             "outcome": result.outcome.slug if result.outcome else None,
             "predicted_right": result.predicted_right, "error": result.trace.error,
             "run_id": run_id}
    request.session[key] = {"prediction": prediction.slug, "knob": result.knob_value,
                            "runs": [shown, *state.get("runs", [])][:RUNS_KEPT]}
    return _respond(request, pattern, found, trace=document, run_id=run_id)
