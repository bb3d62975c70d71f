"""Background work on sandboxes, run by the task worker (`manage.py db_worker`)."""

from django.tasks import task

from .eviction import sandboxes_evict


@task
def sandboxes_evict_idle() -> dict:
    """Evict sandboxes idle longer than LAB_SANDBOX_IDLE_MINUTES (enqueue every few minutes,
    or run `manage.py sandboxes evict --every 300` beside the worker)."""
    result = sandboxes_evict()
    return {"evicted": result.evicted, "failed": result.failed}
