"""django-tasks-db's database backend on Django 6.1: a task enqueued by one process is run by
`manage.py db_worker`, another, and its result row says so."""

import json

ENQUEUE = "import worker_tasks; print(worker_tasks.echo.enqueue(text='hello').id)"
RESULT = ("import json; from django.db import connection; "
          "from django.tasks import task_backends; "
          "backend = task_backends['default']; r = backend.get_result({id!r}); "
          "print(json.dumps({{'status': r.status, 'value': r.return_value "
          "if r.status == 'SUCCESSFUL' else None, 'backend': type(backend).__name__, "
          "'database': connection.vendor}}))")


def _result(manage, task_id: str) -> dict:
    return json.loads(manage("shell", "-v", "0", "-c", RESULT.format(id=task_id))
                      .stdout.splitlines()[-1])


def test_db_worker_runs_a_task_queued_in_the_database(manage):
    manage("migrate", "--noinput")
    task_id = manage("shell", "-v", "0", "-c", ENQUEUE).stdout.splitlines()[-1]

    queued = _result(manage, task_id)
    assert queued == {"status": "READY", "value": None, "backend": "DatabaseBackend",
                      "database": manage.database.kind}

    manage("db_worker", "--batch", "--no-startup-delay", "--no-reload")

    done = _result(manage, task_id)
    assert done["status"] == "SUCCESSFUL"
    assert done["value"]["echo"] == "hello"
