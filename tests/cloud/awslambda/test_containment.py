"""Hostile handlers: they fail alone, and learn nothing of the app."""

import os

from tests.conftest import CANARY_SECRETS


def test_worker_gets_no_secret_from_the_apps_environment(lab, learner, deploy):
    deploy("hostile")
    assert all(os.environ[k] == v for k, v in CANARY_SECRETS.items())  # the app has them
    seen = lab.invoke(learner, "hostile", "EnvironmentFunction", {})["payload"]
    for name, value in CANARY_SECRETS.items():
        assert value not in seen, name
    assert "DJANGO_SETTINGS_MODULE" not in seen


def test_exit_is_reported_and_the_next_invoke_gets_a_fresh_environment(lab, learner, deploy):
    deploy("hostile")
    died = lab.invoke(learner, "hostile", "ExitFunction", {})
    assert died["error"] == {"errorType": "Runtime.ExitError",
                             "errorMessage": "Runtime exited with error: exit status 3"}
    again = lab.invoke(learner, "hostile", "ExitFunction", {})
    assert again["cold_start"] is True


def test_infinite_loop_is_stopped_by_the_timeout(lab, learner, deploy):
    deploy("hostile")
    spun = lab.invoke(learner, "hostile", "SpinFunction", {})
    assert spun["error"]["errorMessage"].endswith("Task timed out after 1.00 seconds")
    assert lab.invoke(learner, "hostile", "EnvironmentFunction", {})["error"] is None


def test_a_huge_file_hits_the_file_size_limit(lab, learner, deploy):
    deploy("hostile")
    try:
        wrote = lab.invoke(learner, "hostile", "BigFileFunction", {})
        assert wrote["error"]["errorType"] == "OSError"
        assert wrote["error"]["errorMessage"] == "[Errno 27] File too large"
        assert os.path.getsize("/tmp/lab-big-file") <= 512 * 1024 * 1024
    finally:
        if os.path.exists("/tmp/lab-big-file"):
            os.remove("/tmp/lab-big-file")


def test_memory_bomb_is_stopped_at_memory_size_and_reported_as_aws_does(lab, learner, deploy):
    deploy("hostile")
    bombed = lab.invoke(learner, "hostile", "MemoryBombFunction", {})
    assert bombed["error"]["errorType"] == "Runtime.OutOfMemory"
    assert bombed["error"]["errorMessage"].endswith("Runtime exited with error: signal: killed")
    assert bombed["max_memory_used_mb"] == 128
    assert lab.invoke(learner, "hostile", "MemoryBombFunction", {})["cold_start"] is True
