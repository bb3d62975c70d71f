"""The task worker's side of a rebuild (rebuild.py is the request's side): deploy again, on the
learner's shard, what they had deployed, and leave the notice the page shows."""

import logging
import os

from patterns.lab_token import lab_control_token
from serverless_lab.cloud.client import LabClient, LabCloudError, LabCloudUnreachable

from .models import EVICTED, Deployed, Placement

logger = logging.getLogger(__name__)
REBUILT_AFTER_RESTART = ("Your sandbox was rebuilt after the lab restarted: its stacks are "
                         "back; items, objects and queued messages were not kept.")
REBUILT_AFTER_IDLE = ("Your sandbox was put away while it was idle and has been rebuilt: its "
                      "stacks are back; items, objects and queued messages were not kept.")

def sandbox_rebuild_now(*, learner: str) -> dict:
    """Deploy again, on the learner's shard, what they had deployed (the task worker's side);
    the placement then records the shard's boot id and the notice for the page."""
    placement = Placement.objects.get(learner=learner)
    shard = LabClient(placement.shard_url, token=lab_control_token())
    try:
        boot_id = shard.sandbox(learner)["boot_id"]
        rebuilt = 0
        if boot_id != placement.boot_id:
            rebuilt = _deploy_again(learner=learner, shard=shard)
    except Exception:
        # Queued again on the learner's next touch rather than waited for forever.
        Placement.objects.filter(pk=placement.pk).update(rebuilding="")
        raise
    notice = "" if not rebuilt else (
        REBUILT_AFTER_IDLE if placement.boot_id == EVICTED else REBUILT_AFTER_RESTART)
    Placement.objects.filter(pk=placement.pk).update(boot_id=boot_id, rebuilding="",
                                                     rebuild_notice=notice)
    logger.info("rebuilt %s stack(s) for %s on %s", rebuilt, learner, shard.url)
    return {"learner": learner, "stacks": rebuilt, "boot_id": boot_id, "pid": os.getpid()}


def _deploy_again(*, learner: str, shard: LabClient) -> int:
    rebuilt = 0
    for record in Deployed.objects.filter(learner=learner):
        try:
            shard.deploy(learner, record.folder, stack=record.stack)
            rebuilt += 1
        except LabCloudUnreachable:
            raise
        except LabCloudError as e:  # the folder went away, say: forget that stack
            logger.warning("not rebuilding %s for %s: %s", record.stack, learner, e)
            record.delete()
    return rebuilt
