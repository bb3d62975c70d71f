"""Idle sandboxes evicted: reset and forgotten in their shard (freeing its memory), rebuilt on
the learner's next touch (client.py). Run by the task worker or `manage.py sandboxes evict`,
never inside a page request."""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from patterns.lab_token import lab_control_token
from serverless_lab.cloud.client import LabClient, LabCloudError

from .models import EVICTED, Placement

logger = logging.getLogger(__name__)


@dataclass
class Eviction:
    evicted: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # learner -> why (tried next time)


def sandboxes_evict(*, idle_minutes: float | None = None,
                    now: datetime | None = None) -> Eviction:
    """Evict every sandbox idle for longer than `idle_minutes` (LAB_SANDBOX_IDLE_MINUTES)."""
    minutes = settings.LAB_SANDBOX_IDLE_MINUTES if idle_minutes is None else idle_minutes
    cutoff = (now or timezone.now()) - timedelta(minutes=minutes)
    result = Eviction()
    clients: dict[str, LabClient] = {}
    for placement in Placement.objects.idle_since(cutoff).order_by("last_active"):
        if placement.shard_url not in clients:
            clients[placement.shard_url] = LabClient(placement.shard_url,
                                                     token=lab_control_token())
        client = clients[placement.shard_url]
        try:
            client.reset(placement.learner, forget=True)
        except LabCloudError as e:
            result.failed[placement.learner] = str(e)
            logger.warning("could not evict %s on %s: %s", placement.learner,
                           placement.shard_url, e)
            continue
        # Gone from the shard now, whatever happened meanwhile: the next touch rebuilds it.
        Placement.objects.filter(pk=placement.pk).update(boot_id=EVICTED)
        result.evicted.append(placement.learner)
    if result.evicted:
        logger.info("evicted %d idle sandbox(es): %s", len(result.evicted),
                    ", ".join(result.evicted))
    return result
