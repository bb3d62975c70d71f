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
