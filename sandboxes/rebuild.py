"""A sandbox lost to a shard's restart or an idle eviction is rebuilt by the task worker, never
inside the learner's page request: the request queues the rebuild (rebuild_request) and says
"being rebuilt"; the page polls (views.rebuild_status) until the worker (tasks.sandbox_rebuild,
running redeploy.sandbox_rebuild_now) has deployed again what the learner had deployed."""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from serverless_lab.cloud.client import LabCloudError

from .models import Deployed, Placement
from .redeploy import REBUILT_AFTER_IDLE, REBUILT_AFTER_RESTART
from .tasks import sandbox_rebuild

__all__ = ["REBUILDING", "REBUILT_AFTER_IDLE", "REBUILT_AFTER_RESTART", "SandboxRebuilding",
           "rebuild_request"]

REBUILDING = ("Your sandbox is being rebuilt (the lab restarted, or it was put away while "
              "idle); this takes a few seconds, then run again.")
# A rebuild queued this long ago and not done (a worker that died with it) is queued again.
REBUILD_STALE_AFTER = timedelta(minutes=2)


class SandboxRebuilding(LabCloudError):
    """The learner's sandbox is being rebuilt by the task worker; try again when it is done."""


def rebuild_request(*, placement: Placement, boot_id: str) -> Placement:
    """The placement once the learner's sandbox matches the shard's `boot_id`: at once when
    they had nothing deployed, else after the task worker's rebuild (queued here unless it
    already is; a backend that runs tasks at once, as the tests' does, has finished it when
    this returns). Raises SandboxRebuilding while the rebuild is still to do."""
    if not Deployed.objects.filter(learner=placement.learner).exists():
        Placement.objects.filter(pk=placement.pk).update(boot_id=boot_id, rebuilding="",
                                                         rebuild_notice="")
        placement.boot_id, placement.rebuilding, placement.rebuild_notice = boot_id, "", ""
        return placement
    now = timezone.now()
    queued = Placement.objects.filter(pk=placement.pk).filter(
        Q(rebuilding="") | ~Q(rebuilding=boot_id)
        | Q(rebuild_queued_at__lt=now - REBUILD_STALE_AFTER)).update(
        rebuilding=boot_id, rebuild_queued_at=now, rebuild_notice="")
    if queued:  # this request is the one that queues it (a concurrent one only waits)
        sandbox_rebuild.enqueue(learner=placement.learner)
    placement.refresh_from_db()
    if placement.boot_id != boot_id:
        raise SandboxRebuilding(REBUILDING)
    return placement
