"""`manage.py lab`: the command line, the same engine as the pages."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
ECHO = ROOT / "tests" / "cloud" / "functions" / "echo"


def lab(*args, capsys):
    call_command("lab", *args)
    return capsys.readouterr().out


def test_list_json_names_patterns_and_scenarios(capsys):
    listed = json.loads(lab("list", "--json", capsys=capsys))
    rest = next(p for p in listed if p["slug"] == "rest-api")
    assert {"create-then-get", "unknown-route"} <= {s["slug"] for s in rest["scenarios"]}


def test_run_json_shows_a_cold_then_a_warm_create(lab_cloud, capsys):
    trace = json.loads(lab("run", "rest-api", "create-then-get", "--learner", "cli-run",
                           "--json", capsys=capsys))
    assert trace["ok"] is True
    creates = [i for i in trace["invocations"] if "CreateOrderFunction" in i["function_name"]]
    assert [i["cold_start"] for i in creates] == [True, False]
    assert creates[0]["init_duration_ms"] > 0 and creates[1]["init_duration_ms"] is None
    assert [(i["initialization_type"], i["version"]) for i in creates] == [
        ("on-demand", "$LATEST")] * 2
    assert all(x["passed"] for x in trace["expectations"]) and len(trace["expectations"]) >= 3
    assert [s["response"]["status"] for s in trace["steps"]] == [201, 201, 200]


def test_invoke_a_folder_with_an_event_file(lab_cloud, tmp_path, capsys):
    event = tmp_path / "event.json"
    event.write_text('{"answer": 42}')
    invocation = json.loads(lab("invoke", str(ECHO), "EchoFunction", "--event", str(event),
                                "--learner", "cli-invoke", "--json", capsys=capsys))
    assert json.loads(invocation["payload"])["event"] == {"answer": 42}
    assert invocation["report"].startswith("REPORT RequestId: ")


def test_deploy_then_env_reaches_the_same_sandbox(lab_cloud, capsys):
    deployed = json.loads(lab("deploy", "rest-api", "--learner", "cli-env", "--json",
                              capsys=capsys))
    exports = lab("env", "--learner", "cli-env", capsys=capsys)
    assert f"export AWS_ENDPOINT_URL={lab_cloud.url}" in exports
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION"):
        assert f"export {name}=" in exports
    # The exported credentials see the deployed stack, as the AWS CLI would.
    env = dict(line.removeprefix("export ").split("=", 1) for line in exports.splitlines())
    import boto3

    session = boto3.Session(aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                            aws_session_token=env["AWS_SESSION_TOKEN"], region_name="us-east-1")
    functions = session.client("lambda", endpoint_url=lab_cloud.url).list_functions()
    assert {f["FunctionName"] for f in functions["Functions"]} == set(
        deployed["functions"].values())


def test_unknown_pattern_and_scenario_are_clear_errors(lab_cloud):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="no pattern 'nope'"):
        call_command("lab", "run", "nope")
    with pytest.raises(CommandError, match="has no scenario 'nope'; it has: create-then-get"):
        call_command("lab", "run", "rest-api", "nope")


def test_without_a_running_lab_cloud_the_cli_starts_its_own(tmp_path):
    # A separate process with nothing at LAB_CLOUD_URL, as on a fresh laptop.
    result = subprocess.run(
        [sys.executable, "manage.py", "lab", "run", "rest-api", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "LAB_CLOUD_URL": "http://127.0.0.1:9",
             "LAB_DATA_DIR": str(tmp_path), "SQLITE_PATH": str(tmp_path / "db.sqlite3")})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ok"] is True
    assert "started one in this process" in result.stderr




def test_runserver_starts_the_lab_cloud_when_none_answers(tmp_path):
    # `make run`: runserver serves the site and a lab cloud in the same process, on the port
    # of LAB_CLOUD_URL, when nothing answers there.
    import time
    import urllib.request

    web, cloud = free_port(), free_port()
    env = {"PATH": "/usr/bin:/bin", "LAB_CLOUD_URL": f"http://127.0.0.1:{cloud}",
           "LAB_DATA_DIR": str(tmp_path), "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
           "DJANGO_SETTINGS_MODULE": "serverless_lab.settings.dev", "PYTHONUNBUFFERED": "1"}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env,
                   check=True, capture_output=True, timeout=120)
    server = subprocess.Popen([sys.executable, "manage.py", "runserver", f"127.0.0.1:{web}",
                               "--noreload"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{web}/", timeout=5)
                break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "runserver did not answer"
                time.sleep(0.2)
        assert page.status == 200
        health = urllib.request.urlopen(f"http://127.0.0.1:{cloud}/_lab/health", timeout=5)
        assert health.status == 200
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert f"Lab cloud: http://127.0.0.1:{cloud}" in output
    with pytest.raises(OSError):  # it was runserver's own: gone with it
        urllib.request.urlopen(f"http://127.0.0.1:{cloud}/_lab/health", timeout=5)



def _session_from_env(exports: str):
    """A boto3 session from `lab env`'s exports, as a learner's shell would use them."""
    import boto3

    env = dict(line.removeprefix("export ").split("=", 1) for line in exports.splitlines())
    return boto3.Session(aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                         aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                         aws_session_token=env["AWS_SESSION_TOKEN"], region_name="us-east-1")


def test_reset_empties_the_learners_sandbox(lab_cloud, capsys):
    lab("deploy", "rest-api", "--learner", "cli-reset", "--json", capsys=capsys)
    functions = _session_from_env(lab("env", "--learner", "cli-reset", capsys=capsys)).client(
        "lambda", endpoint_url=lab_cloud.url)
    assert functions.list_functions()["Functions"]  # deployed: the reset has work to do

    said = lab("reset", "--learner", "cli-reset", capsys=capsys)

    assert re.fullmatch(r"Reset account \d{12} in [\d.]+ s\n", said)
    functions = _session_from_env(lab("env", "--learner", "cli-reset", capsys=capsys)).client(
        "lambda", endpoint_url=lab_cloud.url)  # a reset sandbox issues new credentials
    assert functions.list_functions()["Functions"] == []


def test_clock_shows_and_fast_forwards_the_sandboxs_lab_time(lab_cloud, capsys):
    before = json.loads(lab("clock", "--learner", "cli-clock", "--json", capsys=capsys))
    advanced = json.loads(lab("clock", "--learner", "cli-clock", "--advance", "24h", "--json",
                              capsys=capsys))
    after = json.loads(lab("clock", "--learner", "cli-clock", "--json", capsys=capsys))

    assert advanced["account_id"] == before["account_id"] == after["account_id"]
    assert advanced["fired"] == []  # nothing is scheduled in an empty sandbox
    # A day ahead of real time now (the lab time moves on with real time from there).
    assert 86_400 <= after["offset_seconds"] - before["offset_seconds"] < 86_400 + 60
    said = lab("clock", "--learner", "cli-clock", capsys=capsys)
    assert said.startswith(f"Account {after['account_id']}: lab time ") and "+86" in said
