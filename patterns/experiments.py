"""Experiments: a limit that bites, provoked in the learner's own sandbox (issue 16).

An experiment is data beside its pattern, in `patterns/catalog/<slug>/experiments.yaml`: a
question, the predictions a learner picks from (one `correct`, each with its `why` and the
`outcome` it foresees), the run (steps, as a scenario has), the outcomes the run can show
(each a step's expectations, checked as a scenario's are), the explanation, and a knob: a
real setting of the learner's stack, changed by an `aws` step with `{knob}` in its params,
so the change is in the trace. An experiment that needs resources its pattern lacks deploys
its own SAM folder (`experiments/<stack>/`) as its own stack in the learner's sandbox.

No Django here: the web app and `lab list` read the same data.
"""

from dataclasses import dataclass, field, replace
from pathlib import Path

from serverless_lab.cloud.client import LabClient

from .catalog import CatalogError, Pattern, Scenario, _cited, _read_yaml, _step
from .run_trace import RunTrace
from .runs import Sandbox, _resolve, expectations_check, run_scenario

KNOB_REFUSED = ("{value!r} is not a value this experiment's knob takes: choose one of "
                "{values}. Your sandbox is unchanged.")
KNOB_PLACEHOLDER = "{knob}"
SANDBOX_SETTINGS = ("concurrency_limit",)


@dataclass(frozen=True)
class Prediction:
    slug: str
    text: str
    correct: bool
    why: str
    outcome: str


@dataclass(frozen=True)
class Knob:
    """A real setting of the learner's stack, and the values a learner may give it."""
    name: str
    values: tuple
    default: object
    help: str = ""

    def value_checked(self, raw) -> object:
        """The allowed value `raw` names (a form gives strings), or ValueError."""
        for value in self.values:
            if str(value) == str(raw).strip():
                return value
        raise ValueError(KNOB_REFUSED.format(value=raw, values=", ".join(map(str, self.values))))


@dataclass(frozen=True)
class Outcome:
    slug: str
    title: str
    step: str
    expect: dict


@dataclass(frozen=True)
class Experiment:
    slug: str
    title: str
    question: str
    predictions: tuple[Prediction, ...]
    knob: Knob
    steps: tuple
    outcomes: tuple[Outcome, ...]
    explanation: tuple[str, ...]
    folder: Path  # the SAM folder the run deploys
    stack: str
    sandbox: dict = field(default_factory=dict)  # lab settings for the run, e.g. a limit
    simulated: str = ""  # what of the run the lab simulates (named on the page and trace)
    fresh: bool = False  # start with no warm on-demand environments, as a scenario can

    @property
    def correct(self) -> Prediction:
        return next(p for p in self.predictions if p.correct)

    def prediction(self, slug: str) -> Prediction | None:
        return next((p for p in self.predictions if p.slug == slug), None)

    def outcome(self, slug: str) -> Outcome | None:
        return next((o for o in self.outcomes if o.slug == slug), None)


@dataclass
class ExperimentRun:
    trace: RunTrace
    knob_value: object
    outcome: Outcome | None  # None: the run showed none of the outcomes (or failed)
    prediction: Prediction | None

    @property
    def predicted_right(self) -> bool:
        return bool(self.outcome and self.prediction
                    and self.prediction.outcome == self.outcome.slug)


def _fail(pattern_folder: Path, slug: str, message: str):
    raise CatalogError(f"{pattern_folder}/experiments.yaml: {slug}: {message}")


def experiment_read(pattern_folder: Path, slug: str, raw) -> Experiment:
    """One experiment from its YAML mapping; CatalogError says what is wrong with it."""
    if not isinstance(raw, dict):
        _fail(pattern_folder, slug, "is not a mapping")
    for key in ("title", "question", "predictions", "knob", "steps", "outcomes", "explanation"):
        if not raw.get(key):
            _fail(pattern_folder, slug, f"needs {key!r}")
    outcomes = tuple(
        Outcome(slug=o_slug, title=str(o.get("title", o_slug)), step=str(o.get("step", "")),
                expect=dict(o.get("expect") or {}))
        for o_slug, o in _mapping(pattern_folder, slug, raw["outcomes"], "outcomes").items())
    try:
        steps = tuple(_step(pattern_folder, slug, s) for s in raw["steps"])
    except CatalogError as e:  # _step names scenarios.yaml, where steps usually live
        _fail(pattern_folder, slug, str(e).split(f"{slug}: ", 1)[-1])
    names = {s.name for s in steps}
    for outcome in outcomes:
        if outcome.step not in names or not outcome.expect:
            _fail(pattern_folder, slug, f"outcome {outcome.slug!r} needs the name of one of "
                                        f"its steps (step) and what to expect of it (expect)")
    predictions = []
    for p in raw["predictions"]:
        if not isinstance(p, dict) or not {"slug", "text", "why", "outcome"} <= set(p):
            _fail(pattern_folder, slug, "each prediction needs slug, text, why and outcome")
        if p["outcome"] not in {o.slug for o in outcomes}:
            _fail(pattern_folder, slug, f"prediction {p['slug']!r} foresees an outcome "
                                        f"{p['outcome']!r} the experiment does not define")
        predictions.append(Prediction(slug=str(p["slug"]), text=_cited(str(p["text"])),
                                      correct=bool(p.get("correct")), why=_cited(str(p["why"])),
                                      outcome=str(p["outcome"])))
    if sum(p.correct for p in predictions) != 1:
        _fail(pattern_folder, slug, "exactly one prediction is correct: true")
    knob = _knob(pattern_folder, slug, raw["knob"])
    if not any(KNOB_PLACEHOLDER in str(s.action) for s in steps if s.kind == "aws"):
        _fail(pattern_folder, slug, "the knob is set by an aws step: put {knob} in its params")
    sandbox = dict(raw.get("sandbox") or {})
    if set(sandbox) - set(SANDBOX_SETTINGS):
        _fail(pattern_folder, slug, f"sandbox takes only {', '.join(SANDBOX_SETTINGS)}")
    stack = str(raw.get("stack", ""))
    folder = pattern_folder / "experiments" / stack if stack else pattern_folder
    if not (folder / "template.yaml").exists():
        _fail(pattern_folder, slug, f"{folder} has no template.yaml")
    explanation = raw["explanation"]
    return Experiment(
        slug=slug, title=str(raw["title"]), question=_cited(str(raw["question"])),
        predictions=tuple(predictions), knob=knob, steps=steps, outcomes=outcomes,
        explanation=tuple(_cited(explanation if isinstance(explanation, list)
                                 else [explanation])),
        folder=folder, stack=stack, sandbox=sandbox,
        simulated=_cited(str(raw.get("simulated", ""))), fresh=bool(raw.get("fresh")))


def _mapping(folder, slug, value, name) -> dict:
    if not isinstance(value, dict):
        _fail(folder, slug, f"{name} is a mapping")
    return value


def _knob(folder: Path, slug: str, raw) -> Knob:
    raw = _mapping(folder, slug, raw, "knob")
    values = raw.get("values")
    if not raw.get("name") or not isinstance(values, list) or len(values) < 2:
        _fail(folder, slug, "the knob needs a name and at least two values")
    default = raw.get("default", values[0])
    if default not in values:
        _fail(folder, slug, f"the knob's default {default!r} is not one of its values")
    return Knob(name=str(raw["name"]), values=tuple(values), default=default,
                help=_cited(str(raw.get("help", ""))))


def experiments_read(pattern_folder: Path) -> dict[str, Experiment]:
    """The pattern's experiments (none when it has no experiments.yaml)."""
    path = pattern_folder / "experiments.yaml"
    if not path.exists():
        return {}
    raw = _read_yaml(path)
    if not isinstance(raw, dict):
        raise CatalogError(f"{path}: is not a mapping of experiments")
    return {slug: experiment_read(pattern_folder, slug, found) for slug, found in raw.items()}


_read: dict[tuple, dict] = {}


def pattern_experiments(pattern: Pattern) -> dict[str, Experiment]:
    """The pattern's experiments, read once per experiments.yaml version."""
    path = pattern.folder / "experiments.yaml"
    key = (str(path), path.stat().st_mtime_ns if path.exists() else 0)
    if key not in _read:
        _read[key] = experiments_read(pattern.folder)
    return _read[key]


def _with_knob(value, knob_value):
    """The steps' actions with {knob} filled in: a string that is only {knob} becomes the
    value itself (a number stays a number, as the API wants it)."""
    if value == KNOB_PLACEHOLDER:
        return knob_value
    if isinstance(value, str):
        return value.replace(KNOB_PLACEHOLDER, str(knob_value))
    if isinstance(value, dict):
        return {k: _with_knob(v, knob_value) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_knob(v, knob_value) for v in value]
    return value


def experiment_run(*, client: LabClient, learner: str, pattern: Pattern,
                   experiment: Experiment, knob_value, prediction: Prediction | None
                   ) -> ExperimentRun:
    """Run the experiment in the learner's sandbox with the knob at `knob_value` (one of its
    values: ValueError otherwise, before anything changes), and say which outcome it showed."""
    knob_value = experiment.knob.value_checked(knob_value)
    steps = tuple(replace(s, action=_with_knob(s.action, knob_value)) for s in experiment.steps)
    scenario = Scenario(slug=f"experiment:{experiment.slug}", title=experiment.title,
                        description=experiment.question, steps=steps, fresh=experiment.fresh)
    target = pattern if not experiment.stack else replace(
        pattern, folder=experiment.folder, slug=f"{pattern.slug}-{experiment.stack}")
    previous = client.settings(learner) if experiment.sandbox else {}
    try:
        if experiment.sandbox:
            client.settings(learner, **experiment.sandbox)
        trace = run_scenario(client=client, learner=learner, pattern=target, scenario=scenario)
    finally:
        if experiment.sandbox:
            client.settings(learner, **{k: previous[k] for k in experiment.sandbox})
    trace.pattern = pattern.slug
    outcome = None
    if not trace.error:
        # The deployment as the run saw it (the stack is unchanged: nothing is redeployed),
        # for outcomes that look at the sandbox's state.
        deployment = client.deploy(learner, str(target.folder), stack=target.slug)
        outcome = _outcome_shown(experiment, trace,
                                 Sandbox(client.sandbox(learner), deployment))
    return ExperimentRun(trace=trace, knob_value=knob_value, prediction=prediction,
                         outcome=outcome)


def _outcome_shown(experiment: Experiment, trace: RunTrace, sandbox: Sandbox
                   ) -> Outcome | None:
    results = {s.name: s for s in trace.steps}
    responses = {s.name: s.response or {} for s in trace.steps}
    for outcome in experiment.outcomes:
        result = results.get(outcome.step)
        if result is None:
            continue
        step = next(s for s in experiment.steps if s.name == outcome.step)
        try:  # an outcome may name what a step returned, e.g. {send.MessageId}
            expect = _resolve(outcome.expect, responses, sandbox.deployment, step.name)
        except KeyError:
            continue
        checks = expectations_check(step=replace(step, expect=expect), result=result,
                                    sandbox=sandbox)
        if checks and all(c.passed for c in checks):
            return outcome
    return None

