"""Hostile handlers: they fail alone, and learn nothing of the app."""

import json
import os
import shutil
import socket
import threading
from pathlib import Path

import pytest
from django.conf import settings

from serverless_lab.cloud.awslambda.runtime import functions, sandbox
from tests.cloud.conftest import FUNCTIONS
from tests.conftest import CANARY_SECRETS, wait_until

REPOSITORY = Path(__file__).resolve().parents[3]
NO_BWRAP = "bubblewrap (bwrap) is not installed here: handlers run uncontained " \
           "(apt-get install bubblewrap; `make test` does it as root)"


@pytest.fixture
def contained(lab_cloud):
    """These tests need the sandbox; they skip, saying why, only where bubblewrap is missing."""
    if lab_cloud.runtime.contained is None:
        assert not shutil.which("bwrap") or sandbox.containment_mode() == "off", \
            "bubblewrap is installed, yet the lab's handlers run uncontained"
        pytest.skip(NO_BWRAP)
    return lab_cloud.runtime.contained


def _failed_with(invocation: dict, error_type: str) -> str:
    """The handler's own exception, as AWS's error document shows it; its message."""
    assert invocation["payload"] is None, invocation["payload"]
    assert invocation["error"]["errorType"] == error_type, invocation["error"]
    return invocation["error"]["errorMessage"]


def _payload(invocation: dict):
    """What the handler returned (it raised nothing)."""
    assert invocation["error"] is None, invocation["error"]
    return json.loads(invocation["payload"])


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


def test_a_huge_file_hits_the_file_size_limit(lab, lab_cloud, learner, deploy):
    deploy("hostile")
    try:
        wrote = lab.invoke(learner, "hostile", "BigFileFunction", {})
        assert wrote["error"]["errorType"] == "OSError"
        assert wrote["error"]["errorMessage"] == "[Errno 27] File too large"
        if lab_cloud.runtime.contained:  # the worker's /tmp is its own, not the host's
            assert not os.path.exists("/tmp/lab-big-file")
        else:
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


def test_handler_cannot_read_the_apps_database_or_the_control_token(lab, lab_cloud, learner,
                                                                      deploy, contained):
    deploy("hostile")
    database = Path(settings.DATABASES["default"].get("NAME") or REPOSITORY / "db.sqlite3")
    secrets = [REPOSITORY / "db.sqlite3", lab_cloud.data_dir / "control-token",
               REPOSITORY / "pyproject.toml"]
    if database.is_absolute():
        secrets.append(database)
    for path in secrets:
        read = lab.invoke(learner, "hostile", "ReadFileFunction", {"path": str(path)})
        assert _failed_with(read, "FileNotFoundError").endswith(f"'{path}'")
    # The trace shows each as AWS would: the handler's own exception, in its log too.
    invocations = [e for e in lab.trace(learner)["events"] if e["type"] == "invocation"
                   and "ReadFileFunction" in e["function_name"]]
    assert len(invocations) == len(secrets)
    assert all("[ERROR] FileNotFoundError: [Errno 2] No such file or directory" in e["logs"]
               for e in invocations)


def test_handler_cannot_list_the_repository_the_data_dir_or_other_code(lab, lab_cloud, learner,
                                                                       deploy, contained):
    deploy("hostile")
    for path in (REPOSITORY, lab_cloud.data_dir, lab_cloud.data_dir / "functions",
                 lab_cloud.data_dir / "builds"):
        listed = lab.invoke(learner, "hostile", "ListDirFunction", {"path": str(path)})
        _failed_with(listed, "FileNotFoundError")
    # The repository's parent may be a folder the sandbox has too (a clone under /tmp sees
    # the environment's own empty /tmp): either way the repository is not in it.
    parent = lab.invoke(learner, "hostile", "ListDirFunction", {"path": str(REPOSITORY.parent)})
    if parent["error"] is not None:
        _failed_with(parent, "FileNotFoundError")
    else:
        assert REPOSITORY.name not in _payload(parent)
    # Where every function's code is, for the zygote: an empty folder for a worker.
    assert _payload(lab.invoke(learner, "hostile", "ListDirFunction",
                               {"path": sandbox.CODE_STORE})) == []
    # The lab's share holds only public files (the CA certificate handlers trust).
    shared = lab.invoke(learner, "hostile", "ListDirFunction", {"path": sandbox.SHARE_DIR})
    assert all(name.endswith(".pem") and "key" not in name for name in _payload(shared))
    # Its own code, at /var/task as on AWS: that function's folder and nothing else.
    own = lab.invoke(learner, "hostile", "ListDirFunction", {"path": sandbox.TASK_ROOT})
    assert "app.py" in _payload(own)
    assert set(_payload(own)) <= {*os.listdir(FUNCTIONS / "hostile"), "__pycache__"}


def test_handler_cannot_write_outside_tmp(lab, learner, deploy, contained):
    deploy("hostile")
    own_code = lab.invoke(learner, "hostile", "WriteFileFunction",
                          {"path": f"{sandbox.TASK_ROOT}/app.py"})
    assert _failed_with(own_code, "OSError").startswith("[Errno 30] Read-only file system")
    system = lab.invoke(learner, "hostile", "WriteFileFunction", {"path": "/usr/lib/hacked"})
    assert _failed_with(system, "OSError").startswith("[Errno 30] Read-only file system")
    for path in ("/hacked", "/etc/hacked", "/var/hacked"):
        _failed_with(lab.invoke(learner, "hostile", "WriteFileFunction", {"path": path}),
                     "PermissionError")
    target = REPOSITORY / "hacked-by-a-handler"
    _failed_with(lab.invoke(learner, "hostile", "WriteFileFunction", {"path": str(target)}),
                 "FileNotFoundError")
    assert not target.exists()
    tmp = lab.invoke(learner, "hostile", "WriteFileFunction", {"path": "/tmp/scratch"})
    assert "scratch" in _payload(tmp)


def test_each_environment_has_a_tmp_of_its_own(lab, learner, deploy, contained):
    deploy("hostile")
    mine = lab.invoke(learner, "hostile", "WriteFileFunction", {"path": "/tmp/mine"})
    assert _payload(mine) == ["mine"]
    theirs = lab.invoke(learner, "hostile", "OtherWriteFileFunction", {"path": "/tmp/theirs"})
    assert _payload(theirs) == ["theirs"]  # another environment: none of the first's files
    assert not os.path.exists("/tmp/mine") and not os.path.exists("/tmp/theirs")


def test_handler_runs_unprivileged(lab, lab_cloud, learner, deploy, contained):
    deploy("hostile")
    me = _payload(lab.invoke(learner, "hostile", "WhoamiFunction", {}))
    assert me["CapEff"] == me["CapBnd"] == "0000000000000000"
    assert me["NoNewPrivs"] == "1"
    assert me["task_root"] == me["cwd"] == sandbox.TASK_ROOT
    if contained == "root":  # a uid of its own, no real user's
        assert me["uid"] in _worker_uids(lab_cloud) and me["gid"] == me["uid"]
    else:
        assert me["uid"] == os.getuid() != 0


def test_handler_gets_no_credentials_from_the_control_api(lab, learner, deploy, contained):
    deploy("hostile")
    victim = f"{learner}-victim"[-60:]
    assert "SecretAccessKey" in str(lab.sandbox(victim))  # the victim has credentials
    asked = _payload(lab.invoke(learner, "hostile", "CallControlFunction", {"learner": victim}))
    assert asked["status"] == 401
    assert "SecretAccessKey" not in asked["body"] and "AccessKeyId" not in asked["body"]


def test_handler_reaches_host_ports_the_web_app_among_them(lab, learner, deploy, contained):
    """Workers keep the host's network (sandbox.py says why): a port listening on loopback,
    as the web app's does, is reachable. What guards the lab's own control API is its
    token (the test above); a class host firewalls the rest. When workers get a network of
    their own, this test must change to expect ConnectionRefusedError."""
    deploy("hostile")
    with socket.create_server(("127.0.0.1", 0)) as web_app:
        port = web_app.getsockname()[1]
        reached = lab.invoke(learner, "hostile", "ConnectFunction",
                             {"host": "127.0.0.1", "port": port})
        assert _payload(reached) == "connected"
    refused = lab.invoke(learner, "hostile", "ConnectFunction", {"host": "127.0.0.1",
                                                                 "port": port})
    _failed_with(refused, "ConnectionRefusedError")


def _processes_of(uid: int) -> dict[int, str]:
    """pid -> state (R, S, T...) of the host's processes whose real uid is uid."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = dict(line.split(":\t", 1)
                          for line in (entry / "status").read_text().splitlines()
                          if ":\t" in line)
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(status["Uid"].split()[0]) == uid:
            found[int(entry.name)] = status["State"][0]
    return found


def _worker_uids(lab_cloud) -> range:
    """The uids of this lab cloud's workers."""
    block = lab_cloud.runtime.spawner.uid_block
    return range(sandbox.worker_uid(0, block), sandbox.worker_uid(sandbox.UID_BLOCK_SIZE, block))


def _busiest_worker_uid(uids: range) -> tuple[int, int]:
    """The uid (of uids) with the most processes on the host, and how many it has."""
    counts: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        try:
            status = (entry / "status").read_text() if entry.name.isdigit() else "Uid:\t-1"
        except (FileNotFoundError, ProcessLookupError):
            continue
        uid = int(status.split("Uid:\t", 1)[1].split()[0])
        if uid in uids:
            counts[uid] = counts.get(uid, 0) + 1
    return max(counts.items(), key=lambda item: item[1], default=(0, 0))


def test_fork_bomb_stops_at_the_process_limit_while_others_are_served(lab, lab_cloud, learner,
                                                                       deploy, contained):
    if contained != "root":
        pytest.skip("a per-worker process limit needs the sandbox as root (a uid per worker)")
    deploy("hostile")
    other = f"{learner}-other"[-60:]
    lab.deploy(other, str(FUNCTIONS / "echo"), stack="echo")
    assert lab.invoke(other, "echo", "EchoFunction", {})["error"] is None  # warm
    bombed = {}
    bomb = threading.Thread(target=lambda: bombed.update(lab.invoke(
        learner, "hostile", "ForkBombFunction", {"hold": 10})))
    bomb.start()
    try:
        # The bomb is at its limit (its worker and children, one uid)...
        uids = _worker_uids(lab_cloud)
        wait_until(lambda: _busiest_worker_uid(uids)[1] >= functions.WORKER_PROCESS_LIMIT - 1,
                   timeout=60)
        uid, count = _busiest_worker_uid(uids)
        assert count <= functions.WORKER_PROCESS_LIMIT
        # ...and another learner is served meanwhile.
        served = lab.invoke(other, "echo", "EchoFunction", {"sleep": 0})
        assert served["error"] is None
        assert bomb.is_alive()  # it was still running
    finally:
        bomb.join(timeout=90)
    message = _failed_with(bombed, "BlockingIOError")
    assert message == "[Errno 11] Resource temporarily unavailable"
    # Between invocations its processes are frozen, as AWS freezes an environment (all but
    # the environment's own, waiting for the next invocation)...
    wait_until(lambda: [s for s in _processes_of(uid).values() if s != "T"] == ["S"],
               timeout=30)
    # ...and stopping the environment ends every one of them.
    account = lab.sandbox(learner)["account_id"]
    assert lab_cloud.runtime.reap(account_id=account) >= 1
    wait_until(lambda: not _processes_of(uid), timeout=30)


def test_require_refuses_to_start_without_bubblewrap(monkeypatch, tmp_path):
    from serverless_lab.cloud.awslambda.runtime.spawner import Spawner

    monkeypatch.setenv("LAB_CONTAINMENT", "require")
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on it
    with pytest.raises(sandbox.ContainmentUnavailable, match="apt-get install bubblewrap"):
        Spawner(functions_dir=tmp_path / "functions", share_dir=tmp_path / "share")


def test_a_mistyped_containment_setting_is_refused(monkeypatch):
    monkeypatch.setenv("LAB_CONTAINMENT", "of")
    with pytest.raises(ValueError, match="LAB_CONTAINMENT must be one of auto, off, require"):
        sandbox.containment_mode()


def test_off_runs_handlers_uncontained_and_says_so_once(monkeypatch, tmp_path, caplog):
    from serverless_lab.cloud.awslambda.runtime.spawner import Spawner

    monkeypatch.setenv("LAB_CONTAINMENT", "off")
    monkeypatch.setattr(sandbox, "_warned", False)
    spawners = [Spawner(functions_dir=tmp_path / "functions", share_dir=tmp_path / "share")
                for _ in range(2)]
    try:
        assert [s.contained for s in spawners] == [None, None]
        said = [r.getMessage() for r in caplog.records if "uncontained" in r.getMessage()]
        assert len(said) == 1 and "LAB_CONTAINMENT=off" in said[0]
    finally:
        for spawner in spawners:
            spawner.close()


def test_the_zygotes_command_line_carries_no_credentials(lab_cloud):
    """/proc shows every process's command line to every other one."""
    process = lab_cloud.runtime.spawner.process
    command_line = Path(f"/proc/{process.pid}/cmdline").read_bytes().decode()
    assert "prewarm" not in command_line and "secret" not in command_line.lower()
    assert "--warm" in command_line.split("\0")


def test_handler_can_neither_read_nor_signal_other_environments(lab, learner, deploy,
                                                                  contained):
    if contained != "root":
        pytest.skip("workers share one uid when the lab runs as a normal user (sandbox.py)")
    deploy("hostile")
    other = f"{learner}-other"[-60:]
    lab.deploy(other, str(FUNCTIONS / "echo"), stack="echo")
    assert lab.invoke(other, "echo", "EchoFunction", {})["error"] is None  # a live neighbour
    peeked = _payload(lab.invoke(learner, "hostile", "PeekFunction", {}))
    assert len(peeked["seen"]) >= 2  # the zygote and the neighbour at least
    assert peeked["readable"] == [] and peeked["signalable"] == []
