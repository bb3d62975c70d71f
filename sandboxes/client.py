"""A lab client over several shards: each learner's calls go to the shard they are placed on.

Same method names and results as LabClient (patterns.lab.lab_client() returns one when
shards are configured). On a learner's first call through a client, the shard's boot id is
compared with the one their placement recorded: a shard that restarted (or a sandbox evicted
for idleness) has lost the sandbox, so what the learner had deployed is deployed again by
the task worker (rebuild.py: SandboxRebuilding until then) and sandbox() says so in its
`notice` when a backend that runs tasks at once has done it already. A shard that restarts
while a run is in flight ends that run with IN_FLIGHT; learners on other shards see nothing.
"""

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from serverless_lab.cloud.client import LabClient, LabCloudError, LabCloudUnreachable

from .models import Deployed, Placement
from .rebuild import REBUILT_AFTER_IDLE, REBUILT_AFTER_RESTART, rebuild_request

__all__ = ["REBUILT_AFTER_IDLE", "REBUILT_AFTER_RESTART", "ShardedLabClient", "placement_for"]

logger = logging.getLogger(__name__)
IN_FLIGHT = "The lab restarted while your run was in flight; run it again."
SHARD_DOWN = ("Your sandbox's part of the lab ({url}) does not answer right now; it restarts "
              "by itself, so try again in a few seconds.")
ACTIVE_WRITE_EVERY = timedelta(minutes=1)  # last_active is written at most this often


def placement_for(*, learner: str, shard_urls: list[str]) -> Placement:
    """The learner's placement: found, or made on the shard with the fewest learners. A
    placement on a shard no longer configured moves (its sandbox is rebuilt there)."""
    now = timezone.now()
    placement = Placement.objects.filter(learner=learner).first()
    if placement is not None and placement.shard_url in shard_urls:
        if now - placement.last_active > ACTIVE_WRITE_EVERY:
            Placement.objects.filter(pk=placement.pk).update(last_active=now)
            placement.last_active = now
        return placement
    counts = dict(Placement.objects.filter(shard_url__in=shard_urls)
                  .values_list("shard_url").annotate(n=Count("id")))
    shard_url = min(shard_urls, key=lambda url: (counts.get(url, 0), shard_urls.index(url)))
    if placement is not None:
        logger.warning("%s moves from %s (no longer a shard) to %s", learner,
                       placement.shard_url, shard_url)
        Placement.objects.filter(pk=placement.pk).update(shard_url=shard_url, boot_id="moved",
                                                         last_active=now)
        return Placement.objects.get(pk=placement.pk)
    try:
        with transaction.atomic():
            return Placement.objects.create(learner=learner, shard_url=shard_url,
                                            last_active=now)
    except IntegrityError:  # placed by a concurrent request a moment ago
        return Placement.objects.get(learner=learner)


class ShardedLabClient:
    def __init__(self, urls: list[str], **options):
        if not urls:
            raise ValueError("a sharded lab client needs at least one shard URL")
        self.urls = [u.rstrip("/") for u in urls]
        self.shards = {url: LabClient(url, **options) for url in self.urls}
        self.url = self.urls[0]
        self.timeout = self.shards[self.url].timeout
        self._boot_ids: dict[str, str] = {}  # learner -> the boot id their calls have met
        self._placed: dict[str, LabClient] = {}  # learner -> their shard, once looked up

    # --- routing ---------------------------------------------------------------------------
    def shard_for(self, learner: str) -> LabClient:
        if learner not in self._placed:
            placement = placement_for(learner=learner, shard_urls=self.urls)
            self._placed[learner] = self.shards[placement.shard_url]
        return self._placed[learner]

    def _checked(self, learner: str) -> LabClient:
        """The learner's shard, their sandbox rebuilt first if this client has not yet
        checked it."""
        if learner not in self._boot_ids:
            self.sandbox(learner)
        return self.shard_for(learner)

    def _guarded(self, learner: str | None, shard: LabClient, name: str, /, *args, **kwargs):
        try:
            return getattr(shard, name)(*args, **kwargs)
        except LabCloudUnreachable:
            if learner in self._boot_ids or (learner is None and self._boot_ids):
                raise LabCloudError(IN_FLIGHT) from None
            raise LabCloudUnreachable(SHARD_DOWN.format(url=shard.url)) from None

    # --- LabClient's methods ---------------------------------------------------------------
    def healthy(self) -> bool:
        """Some shard answers (the others may be restarting)."""
        return any(shard.healthy() for shard in self.shards.values())

    def sandbox(self, learner: str) -> dict:
        placement = placement_for(learner=learner, shard_urls=self.urls)
        shard = self._placed[learner] = self.shards[placement.shard_url]
        found = self._guarded(learner, shard, "sandbox", learner)
        boot_id = found.get("boot_id", "")
        seen = self._boot_ids.get(learner)
        if seen is not None and seen != boot_id:
            raise LabCloudError(IN_FLIGHT)
        if boot_id != placement.boot_id:
            # Rebuilt by the task worker, never in this request (rebuild.py): raises
            # SandboxRebuilding until it is done, unless there was nothing to rebuild.
            placement = rebuild_request(placement=placement, boot_id=boot_id)
            self._boot_ids[learner] = boot_id
            notice = placement.rebuild_notice
            return {**found, "notice": notice} if notice else found
        self._boot_ids[learner] = boot_id
        return found

    def deploy(self, learner: str, path: str, stack: str | None = None,
               files: dict[str, str] | None = None) -> dict:
        deployment = self._guarded(learner, self._checked(learner), "deploy", learner, path,
                                   stack=stack, files=files)
        if files is not None:  # a learner's edits (a fix-it): not rebuilt after a restart
            return deployment
        record, made = Deployed.objects.get_or_create(
            learner=learner, stack=deployment.get("stack_name") or stack,
            defaults={"folder": path})
        if not made and record.folder != path:  # one read per run, a write only on a change
            record.folder = path
            record.save(update_fields=["folder", "at"])
        return deployment

    def deployment(self, learner: str, stack: str) -> dict | None:
        return self._guarded(learner, self._checked(learner), "deployment", learner, stack)

    def reset(self, learner: str, *, forget: bool = False) -> dict:
        answer = self._guarded(learner, self.shard_for(learner), "reset", learner,
                               forget=forget)
        if not forget:  # emptied on purpose: nothing to rebuild after a restart
            Deployed.objects.filter(learner=learner).delete()
        return answer

    def recycle(self, learner: str) -> dict:
        return self._guarded(learner, self._checked(learner), "recycle", learner)

    def invoke(self, learner: str, stack: str, function: str, event) -> dict:
        return self._guarded(learner, self._checked(learner), "invoke", learner, stack,
                             function, event)

    def settings(self, learner: str, **settings) -> dict:
        return self._guarded(learner, self._checked(learner), "settings", learner, **settings)

    def clock(self, learner: str, advance: str | None = None) -> dict:
        return self._guarded(learner, self._checked(learner), "clock", learner,
                             advance=advance)

    def trace(self, learner: str, since: int = 0) -> dict:
        answer = self._guarded(learner, self._checked(learner), "trace", learner, since)
        if answer.get("boot_id", self._boot_ids[learner]) != self._boot_ids[learner]:
            raise LabCloudError(IN_FLIGHT)  # restarted between two calls of this run
        return answer

    def inventory(self, learner: str, **options) -> dict:
        # A read: it neither makes a sandbox nor rebuilds one (the learner's next run does).
        return self._guarded(learner, self.shard_for(learner), "inventory", learner, **options)

    def http(self, url: str, **kwargs):
        shard = next((s for u, s in self.shards.items() if url.startswith(f"{u}/")),
                     self.shards[self.url])
        return self._guarded(None, shard, "http", url, **kwargs)
