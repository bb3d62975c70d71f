"""A sandbox lost to an eviction (as to a shard's restart) is rebuilt by the task worker, not in
the learner's request: the run's region says "being rebuilt" and polls until the worker is
done (django-tasks-db's database backend and its `db_worker`, as `manage.py serve` runs)."""

import pytest
from asgiref.local import Local
from django.core.management import call_command
from django.tasks import task_backends
from django_tasks_db.models import DBTaskResult

from patterns.lab import lab_client
from sandboxes.eviction import sandboxes_evict
from sandboxes.models import EVICTED, Placement
from sandboxes.rebuild import REBUILDING, REBUILT_AFTER_IDLE
from tests.sandboxes.test_shards import _functions

pytestmark = pytest.mark.django_db(transaction=True)
RUN_URL = "/patterns/rest-api/run/"
STATUS_URL = "/sandboxes/rebuild/"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def database_tasks(settings):
    """Tasks queued in the database for a worker, as on a class server (the suite's settings
    run them at once)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend",
                                  "QUEUES": ["default"]}}
    _tasks_reconfigured()
    yield
    del settings.TASKS
    _tasks_reconfigured()


def _tasks_reconfigured():
    task_backends.__dict__.pop("settings", None)
    task_backends._settings = None
    task_backends._connections = Local(task_backends.thread_critical)


def _run(client):
    return client.post(RUN_URL, {"scenario": "create-then-get"}, headers=HTMX)


def test_the_worker_rebuilds_an_evicted_sandbox_while_the_page_polls(
        sharded, client, database_tasks):
    assert "passed" in _run(client).text
    learner = Placement.objects.get().learner
    assert sandboxes_evict(idle_minutes=-1).evicted == [learner]

    page = _run(client)  # the request queues the rebuild and answers at once

    assert page.status_code == 200
    assert REBUILDING in page.text and f'hx-get="{STATUS_URL}"' in page.text
    assert 'hx-trigger="every 2s"' in page.text
    placement = Placement.objects.get(learner=learner)
    assert placement.boot_id == EVICTED and placement.rebuilding
    assert _functions(lab_client().shards[placement.shard_url].sandbox(learner)) == set()
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "sandboxes.tasks.sandbox_rebuild"
    assert queued.status == "READY"
    # A second run meanwhile queues nothing more; polling says the same.
    assert REBUILDING in _run(client).text
    assert DBTaskResult.objects.count() == 1
    status = client.get(STATUS_URL, headers=HTMX)
    assert REBUILDING in status.text and "every 2s" in status.text

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload")

    queued.refresh_from_db()
    assert queued.status == "SUCCESSFUL"
    assert queued.return_value["stacks"] == 1
    placement.refresh_from_db()
    assert placement.boot_id == queued.return_value["boot_id"] != EVICTED
    assert not placement.rebuilding
    assert _functions(lab_client().sandbox(learner))  # the worker deployed it again
    done = client.get(STATUS_URL, headers=HTMX)
    assert REBUILT_AFTER_IDLE in done.text and "hx-trigger" not in done.text
    again = _run(client)
    assert "passed" in again.text and REBUILDING not in again.text


def test_a_learner_with_nothing_deployed_is_not_kept_waiting(sharded, client, database_tasks):
    lab_client().sandbox("nothing-deployed")
    Placement.objects.filter(learner="nothing-deployed").update(boot_id=EVICTED)
    assert "notice" not in lab_client().sandbox("nothing-deployed")
    assert not DBTaskResult.objects.exists()


def test_rebuild_status_is_only_for_a_visitor_with_a_sandbox(client, django_user_model):
    assert client.get(STATUS_URL).status_code == 404  # no session at all
    user = django_user_model.objects.create_user("never-placed", password="pw")
    client.force_login(user)
    assert client.get(STATUS_URL).status_code == 404  # signed in, never placed
    Placement.objects.create(learner=f"user-{user.pk}", shard_url="http://127.0.0.1:9",
                             last_active="2026-01-01T00:00Z", rebuilding="abc")
    assert REBUILDING in client.get(STATUS_URL).text
    client.logout()
    assert client.get(STATUS_URL).status_code == 404  # another visitor sees nothing of it


def test_rebuild_status_answers_only_get(client):
    assert client.post(STATUS_URL).status_code == 405
