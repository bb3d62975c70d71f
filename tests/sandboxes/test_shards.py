"""Real shard processes (`lab serve --shards 2`): routing through lab_client(), a shard killed
mid-run and rebuilt on the learner's next touch, idle sandboxes evicted and rebuilt."""

import json
import os
import signal
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from django.core.management import call_command
from django.utils import timezone

from patterns.catalog import pattern_get
from patterns.lab import lab_client
from patterns.runs import run_scenario
from sandboxes.client import (
    IN_FLIGHT,
    REBUILT_AFTER_IDLE,
    REBUILT_AFTER_RESTART,
    ShardedLabClient,
)
from sandboxes.models import EVICTED, Deployed, Placement
from sandboxes.tasks import sandboxes_evict_idle
from serverless_lab.cloud.client import LabCloudError
from serverless_lab.cloud.clients import client as aws_client
from tests.sandboxes.conftest import wait_for

ECHO = Path(__file__).resolve().parents[1] / "cloud" / "functions" / "echo"
pytestmark = pytest.mark.django_db


def _functions(sandbox: dict) -> set[str]:
    lambda_ = aws_client("lambda", endpoint_url=sandbox["endpoint_url"],
                         credentials=sandbox["credentials"], region=sandbox["region"])
    return {f["FunctionName"] for f in lambda_.list_functions()["Functions"]}


def _run(client, learner: str):
    rest = pattern_get("rest-api")
    return run_scenario(client=client, learner=learner, pattern=rest,
                        scenario=rest.scenarios["create-then-get"])


def test_two_learners_on_two_shards_each_see_their_own_sandbox(sharded, capsys):
    client = lab_client()
    assert isinstance(client, ShardedLabClient)
    ada, bob = client.sandbox("route-ada"), client.sandbox("route-bob")
    assert [ada["endpoint_url"], bob["endpoint_url"]] == sharded.urls

    deployed = {}
    for learner in ("route-ada", "route-bob"):
        deployed[learner] = client.deploy(learner, str(ECHO), stack="echo")
        invocation = client.invoke(learner, "echo", "EchoFunction", {"who": learner})
        assert json.loads(invocation["payload"])["event"] == {"who": learner}
    # Each shard has its learner's function and not the other's.
    assert _functions(ada) == set(deployed["route-ada"]["functions"].values())
    assert _functions(bob) == set(deployed["route-bob"]["functions"].values())
    assert not _functions(ada) & _functions(bob)
    assert set(Deployed.objects.values_list("learner", "stack")) == {
        ("route-ada", "echo"), ("route-bob", "echo")}

    # `lab env` and `lab run` reach the learner's shard too.
    call_command("lab", "env", "--learner", "route-bob")
    assert f"export AWS_ENDPOINT_URL={sharded.urls[1]}\n" in capsys.readouterr().out + "\n"
    call_command("lab", "run", "rest-api", "--learner", "route-bob", "--json")
    assert json.loads(capsys.readouterr().out)["ok"] is True
    assert Placement.objects.get(learner="route-bob").shard_url == sharded.urls[1]


def test_a_shard_killed_mid_run_ends_that_run_and_the_next_one_rebuilds(sharded):
    client = lab_client()
    for learner in ("kill-ada", "kill-bob"):
        trace = _run(client, learner)
        assert trace.ok and trace.notice is None
    assert Placement.objects.get(learner="kill-bob").shard_url == sharded.urls[1]
    client.deploy("kill-bob", str(ECHO), stack="echo")
    ada_shard, bob_shard = sharded.health(0), sharded.health(1)

    # Bob's invocation is in flight when his shard is killed.
    outcome = {}

    def invoke():
        try:
            outcome["answer"] = client.invoke("kill-bob", "echo", "EchoFunction", {"sleep": 5})
        except LabCloudError as e:
            outcome["error"] = str(e)

    in_flight = threading.Thread(target=invoke)
    in_flight.start()
    wait_for(lambda: sharded.health(1)["environments"] >= 1, timeout=30,
             what="the invocation to start")
    os.kill(bob_shard["pid"], signal.SIGKILL)
    in_flight.join(60)
    assert outcome == {"error": IN_FLIGHT}

    # The supervisor restarts it (a new boot id); the other shard saw nothing.
    restarted = wait_for(lambda: (h := sharded.health(1)) and h["boot_id"] != bob_shard[
        "boot_id"] and h, what="shard 1 to restart")
    assert restarted["pid"] != bob_shard["pid"] and restarted["sandboxes"] == 0
    assert "[serve] shard-1 exited with signal SIGKILL" in sharded.output()
    assert sharded.health(0)["boot_id"] == ada_shard["boot_id"]
    trace = _run(lab_client(), "kill-ada")
    assert trace.ok and trace.notice is None

    # Bob's next run (a new page request) works, his sandbox rebuilt, and says so.
    client = lab_client()
    trace = _run(client, "kill-bob")
    assert trace.ok, trace.as_json()
    assert trace.notice == REBUILT_AFTER_RESTART
    assert trace.as_json()["notice"] == REBUILT_AFTER_RESTART
    invocation = client.invoke("kill-bob", "echo", "EchoFunction", {"back": True})
    assert json.loads(invocation["payload"])["event"] == {"back": True}
    assert Placement.objects.get(learner="kill-bob").boot_id == restarted["boot_id"]
    # Once rebuilt, the next run says nothing more.
    assert _run(lab_client(), "kill-bob").notice is None


def test_idle_sandboxes_are_evicted_and_rebuilt_on_the_next_run(sharded, client):
    run_url = "/patterns/rest-api/run/"
    page = client.post(run_url, {"scenario": "create-then-get"}, headers={"HX-Request": "true"})
    assert page.status_code == 200 and "passed" in page.text
    learner = Placement.objects.get().learner
    shard = sharded.urls.index(Placement.objects.get().shard_url)
    old = lab_client().sandbox(learner)
    assert _functions(old)
    sandboxes_before = sharded.health(shard)["sandboxes"]
    hour_ago = timezone.now() - timedelta(minutes=61)
    Placement.objects.update(last_active=hour_ago)
    lab_client().sandbox("evict-active")  # active just now: stays

    call_command("sandboxes", "evict")
    placement = Placement.objects.get(learner=learner)
    assert placement.boot_id == EVICTED
    assert Placement.objects.get(learner="evict-active").boot_id != EVICTED
    assert sharded.health(shard)["sandboxes"] == sandboxes_before - 1
    with pytest.raises(ClientError, match="InvalidClientTokenId"):
        _functions(old)  # its credentials went with it

    # The next run rebuilds it and the page says so.
    page = client.post(run_url, {"scenario": "create-then-get"}, headers={"HX-Request": "true"})
    assert page.status_code == 200 and "passed" in page.text
    assert REBUILT_AFTER_IDLE in page.text
    assert Placement.objects.get(learner=learner).boot_id == sharded.health(shard)["boot_id"]


def test_the_eviction_task_evicts_what_has_been_idle_long_enough(sharded, settings):
    settings.LAB_SANDBOX_IDLE_MINUTES = 5
    client = lab_client()
    for learner in ("task-idle", "task-recent"):
        client.deploy(learner, str(ECHO), stack="echo")
    Placement.objects.filter(learner="task-idle").update(
        last_active=timezone.now() - timedelta(minutes=6))
    Placement.objects.filter(learner="task-recent").update(
        last_active=timezone.now() - timedelta(minutes=4))

    result = sandboxes_evict_idle.enqueue()
    assert result.return_value == {"evicted": ["task-idle"], "failed": {}}
    assert lab_client().sandbox("task-idle")["notice"] == REBUILT_AFTER_IDLE
    assert "notice" not in lab_client().sandbox("task-recent")
