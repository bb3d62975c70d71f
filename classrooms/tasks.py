"""Background work for classes, run by the task worker (`manage.py db_worker`): hot start's
deploys. The re-grade task lives beside what it runs, in regrades.py; this module imports
nothing of classrooms, so every module may queue its tasks without an import cycle."""

from django.tasks import task

from patterns.catalog import pattern_get
from patterns.lab import lab_client


@task
def sandbox_deploy(*, learner: str, slug: str) -> dict:
    """Hot start: make the learner's sandbox and deploy the pattern there ahead of need
    (deploying the same template again keeps the stack, so a later Run starts at once)."""
    pattern = pattern_get(slug)
    if pattern is None:
        return {"learner": learner, "slug": slug, "deployed": False}
    client = lab_client()
    client.sandbox(learner)
    client.deploy(learner, str(pattern.folder), stack=pattern.slug)
    return {"learner": learner, "slug": slug, "deployed": True}
