"""Run history: each learner's last runs of each pattern, reopenable with their trace,
timeline and cost. Keyed by the learner id patterns.lab.learner_for() gives (a signed-in
user's `user-<id>`, an anonymous visitor's `anon-<session>`), never shared between them."""

from django.db import models

RUNS_KEPT_PER_PATTERN = 20


class RunRecord(models.Model):
    learner = models.CharField(max_length=64)
    pattern = models.SlugField(max_length=100)
    scenario = models.CharField(max_length=100, blank=True)
    ok = models.BooleanField(default=False)
    duration_ms = models.FloatField(default=0.0)
    created = models.DateTimeField(auto_now_add=True)
    document = models.JSONField()  # the trace JSON (RunTrace.as_json())

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["learner", "pattern", "-created"],
                                name="run_history_lookup")]

    def __str__(self) -> str:
        return f"{self.pattern} run by {self.learner} at {self.created:%Y-%m-%d %H:%M}"

    @property
    def title(self) -> str:
        return self.scenario or "your own request"


def run_record_save(*, learner: str, pattern: str, document: dict) -> RunRecord:
    """Keep the run, and prune the learner's runs of the pattern to the newest 20."""
    record = RunRecord.objects.create(
        learner=learner, pattern=pattern, scenario=document.get("scenario") or "",
        ok=bool(document.get("ok")), duration_ms=document.get("duration_ms") or 0.0,
        document=document)
    keep = run_records_recent(learner=learner, pattern=pattern).values_list("pk", flat=True)
    RunRecord.objects.filter(learner=learner, pattern=pattern).exclude(
        pk__in=list(keep)).delete()
    return record


def run_records_recent(*, learner: str, pattern: str):
    """The learner's newest runs of the pattern, newest first (at most 20)."""
    return RunRecord.objects.filter(learner=learner, pattern=pattern).order_by(
        "-created", "-id")[:RUNS_KEPT_PER_PATTERN]


def run_record_get(*, learner: str, pattern: str, pk: int) -> RunRecord | None:
    """The learner's own run, or None (another learner's run is not theirs to see)."""
    return RunRecord.objects.filter(learner=learner, pattern=pattern, pk=pk).first()


class FixItDraft(models.Model):
    """A learner's work on one fix-it lab (issue 16): the files as they last sent them, how
    many tries failed (hint k shows after the k-th), when every check first passed, when they
    asked for the solution, and what their last try found (shown again on the page). Keyed
    like RunRecord by learner_for(): nobody else's page reads or writes it."""

    learner = models.CharField(max_length=64)
    pattern = models.SlugField(max_length=100)
    fixit = models.SlugField(max_length=100)
    files = models.JSONField(default=dict)  # editable path -> text
    tries = models.PositiveIntegerField(default=0)
    failed_tries = models.PositiveIntegerField(default=0)
    last_result = models.JSONField(null=True, blank=True)  # fixit_views.result_document()
    solved_at = models.DateTimeField(null=True, blank=True)
    solution_shown_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["learner", "pattern", "fixit"],
                                               name="one_draft_per_learner_fixit")]

    def __str__(self) -> str:
        return f"{self.learner}'s draft of {self.pattern}/{self.fixit}"


def fixit_draft_get(*, learner: str, pattern: str, fixit: str) -> FixItDraft | None:
    """The learner's own draft of the fix-it, or None (never another learner's)."""
    return FixItDraft.objects.filter(learner=learner, pattern=pattern, fixit=fixit).first()


def fixit_draft_save(*, learner: str, pattern: str, fixit: str, files: dict[str, str],
                     **fields) -> FixItDraft:
    """Keep the learner's files (and any of the draft's other fields given), creating the
    draft on their first save."""
    draft, _ = FixItDraft.objects.update_or_create(
        learner=learner, pattern=pattern, fixit=fixit, defaults={"files": files, **fields})
    return draft
