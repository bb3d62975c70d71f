"""A full disk in the lab's data directory: deploys are refused with a clear message, nothing
half-deployed, and they work again once there is room. Proved with a threshold above the free
space (LAB_DEPLOY_MIN_FREE_MB) rather than by filling a disk."""

import shutil

import pytest

from patterns.catalog import pattern_get
from serverless_lab.cloud.client import LabCloudError
from tests.conftest import learner_client

PATTERN = "rest-api"


@pytest.fixture
def disk_full(lab_cloud, monkeypatch):
    """The threshold a megabyte above what the lab's data directory has free."""
    free_mb = shutil.disk_usage(lab_cloud.data_dir).free // (1024 * 1024)
    monkeypatch.setenv("LAB_DEPLOY_MIN_FREE_MB", str(free_mb + 1024))


def _stacks(lab, learner) -> list[str]:
    stacks = learner_client(lab, learner, "cloudformation").describe_stacks()["Stacks"]
    return [s["StackName"] for s in stacks]


def test_a_deploy_on_a_full_disk_is_refused_saying_why_and_deploys_nothing(
        lab, learner, disk_full, monkeypatch):
    lab.sandbox(learner)
    with pytest.raises(LabCloudError, match="disk is nearly full"):
        lab.deploy(learner, str(pattern_get(PATTERN).folder), stack=PATTERN)
    assert _stacks(lab, learner) == []

    monkeypatch.setenv("LAB_DEPLOY_MIN_FREE_MB", "1")  # room again
    lab.deploy(learner, str(pattern_get(PATTERN).folder), stack=PATTERN)
    assert _stacks(lab, learner) == [PATTERN]


def test_a_threshold_that_is_not_a_number_is_named_in_the_refusal(lab, learner, monkeypatch):
    monkeypatch.setenv("LAB_DEPLOY_MIN_FREE_MB", "lots")
    with pytest.raises(LabCloudError, match="LAB_DEPLOY_MIN_FREE_MB is a whole number"):
        lab.deploy(learner, str(pattern_get(PATTERN).folder), stack=PATTERN)


@pytest.mark.django_db
def test_the_learner_sees_the_refusal_where_they_pressed_run(client, lab, disk_full):
    response = client.post(f"/patterns/{PATTERN}/run/", {"scenario": "create-then-get"},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "deploy failed: The lab&#x27;s disk is nearly full" in response.content.decode()
