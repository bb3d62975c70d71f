"""The experiments on a pattern's page (patterns/_experiments.html), with this learner's
prediction and results from their session."""

from django import template

from patterns.experiments import pattern_experiments

register = template.Library()


def experiment_state_key(pattern, experiment) -> str:
    return f"experiment:{pattern.slug}:{experiment.slug}"


def experiment_context(request, pattern, experiment, *, error: str = "") -> dict:
    """What patterns/_experiment.html shows of one experiment for this learner: their
    prediction, their runs (newest first, each with the outcome the run showed) and an error
    left by a form that was posted without JavaScript (shown once)."""
    key = experiment_state_key(pattern, experiment)
    state = dict(request.session.get(key, {}))
    if "error" in state:
        error = error or state.pop("error")
        request.session[key] = state
    runs = [{**r, "outcome": experiment.outcome(r["outcome"]) if r.get("outcome") else None,
             "prediction": experiment.prediction(r.get("prediction", ""))}
            for r in state.get("runs", [])]
    return {"pattern": pattern, "experiment": experiment, "experiment_error": error,
            "prediction": experiment.prediction(state.get("prediction", "")),
            "knob_value": state.get("knob", experiment.knob.default), "experiment_runs": runs}


@register.simple_tag(takes_context=True)
def experiments_for(context, pattern) -> list[dict]:
    request = context.get("request")
    if request is None or pattern is None:
        return []
    return [experiment_context(request, pattern, e)
            for e in pattern_experiments(pattern).values()]
