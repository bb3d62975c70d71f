"""The web app's record of learners' sandboxes: which shard each lives on, and what each
learner deployed there (so a sandbox lost to a restart or an eviction can be rebuilt)."""

from django.db import models

# Placement.boot_id when the sandbox was evicted for idleness (never a shard's boot id).
EVICTED = "evicted"


class PlacementQuerySet(models.QuerySet):
    def idle_since(self, cutoff):
        return self.filter(last_active__lt=cutoff).exclude(boot_id=EVICTED)


class Placement(models.Model):
    """A learner's sandbox lives on one shard for good; boot_id is that shard's boot id when
    the sandbox was last known to be there."""

    learner = models.CharField(max_length=64, unique=True)
    shard_url = models.CharField(max_length=200, db_index=True)
    boot_id = models.CharField(max_length=32, blank=True)
    placed_at = models.DateTimeField(auto_now_add=True)
    last_active = models.DateTimeField(db_index=True)
    # A rebuild queued for the task worker: the shard's boot id it rebuilds for ("" when none),
    # when it was queued, and what the page says once it is done (what was not kept).
    rebuilding = models.CharField(max_length=32, blank=True)
    rebuild_queued_at = models.DateTimeField(null=True, blank=True)
    rebuild_notice = models.CharField(max_length=300, blank=True)

    objects = PlacementQuerySet.as_manager()

    def __str__(self):
        return f"{self.learner} on {self.shard_url}"


class Deployed(models.Model):
    """A stack a learner deployed: its SAM folder and stack name, as the deploy was asked."""

    learner = models.CharField(max_length=64, db_index=True)
    folder = models.CharField(max_length=500)
    stack = models.CharField(max_length=128)
    at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["learner", "stack"],
                                               name="deployed_once_per_learner_stack")]
        ordering = ["at"]

    def __str__(self):
        return f"{self.stack} in {self.learner}'s sandbox"
