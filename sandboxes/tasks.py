"""Background work on sandboxes, run by the task worker (`manage.py db_worker`)."""

from django.tasks import task

from .eviction import sandboxes_evict
from .redeploy import sandbox_rebuild_now


@task
def sandboxes_evict_idle() -> dict:
    """Evict sandboxes idle longer than LAB_SANDBOX_IDLE_MINUTES (enqueue every few minutes,
    or run `manage.py sandboxes evict --every 300` beside the worker)."""
    result = sandboxes_evict()
    return {"evicted": result.evicted, "failed": result.failed}


@task
def sandbox_rebuild(*, learner: str) -> dict:
    """Deploy again what the learner had deployed, after their shard restarted or their idle
    sandbox was evicted (queued by their next touch, rebuild.rebuild_request)."""
    return sandbox_rebuild_now(learner=learner)
