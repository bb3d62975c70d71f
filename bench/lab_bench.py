"""`python manage.py lab bench`: the lab's speed, measured in one run on one machine.

Each figure is compared with its goal (issue 3):
- cold_start_p50_ms (a new lab execution environment running a handler that does one
  DynamoDB put) against fresh_interpreter_p50_ms (a new Python process importing boto3 and
  doing the same put): at most 0.15 of it;
- rest_run_p50_ms (the rest-api POST through API Gateway, warm) against bare_inprocess_p50_ms
  (the handler called in-process under moto's mock_aws): at most 3 times it;
- warm_invokes_per_s: at least 50 per core; idle_env_unique_mb: at most 30;
- deploy_p50_ms (issue 13): the rest-api pattern deployed through the control API into a new
  sandbox each time, as a learner's first run does: at most 250 ms.
"""

import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

from moto.awslambda.models import lambda_backends

from serverless_lab.cloud.client import LabClient
from serverless_lab.cloud.server import LabCloud

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
LEARNER = "bench"
GOALS = {"cold_vs_fresh_max": 0.15, "rest_vs_bare_max": 3.0, "warm_invokes_per_s_min": 50,
         "idle_env_unique_mb_max": 30, "deploy_p50_ms_max": 250}
REST_API_PATTERN = ROOT / "patterns" / "catalog" / "rest-api"

FRESH_SCRIPT = """
import boto3, sys, uuid
boto3.client("dynamodb", endpoint_url=sys.argv[1]).put_item(
    TableName=sys.argv[2], Item={"id": {"S": str(uuid.uuid4())}})
"""


def p50(samples):
    return round(statistics.median(samples), 2)


def _timed(action, samples: int) -> list[float]:
    timings = []
    for _ in range(samples):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def fresh_interpreter(cloud, sandbox: dict, table: str, samples: int) -> float:
    credentials = sandbox["credentials"]
    env = {"PATH": os.environ.get("PATH", ""), "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
           "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
           "AWS_SESSION_TOKEN": credentials["SessionToken"], "AWS_DEFAULT_REGION": "us-east-1"}

    def run():
        subprocess.run([sys.executable, "-c", FRESH_SCRIPT, cloud.url, table], env=env,
                       check=True)

    return p50(_timed(run, samples))


def unique_memory_mb(pid: int) -> float:
    """Private (unshared) memory of a process: what one more environment really costs."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0])
    return round((fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)) / 1024, 1)


def host_pid(pid: int) -> int | None:
    """The host's id of an environment's process. Inside bubblewrap's PID namespace the
    runtime knows it by the namespace's id: find the process of this bench's own descendants
    whose innermost id that is."""
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines()
                          if ":" in line)
        except OSError:
            continue
        ids = fields.get("NSpid", "").split()
        if ids and ids[-1] == str(pid) and _descends_from_us(int(ids[0])):
            return int(ids[0])
    return None


def _descends_from_us(pid: int) -> bool:
    while pid > 1:
        if pid == os.getpid():
            return True
        try:
            fields = dict(line.split(":", 1) for line in
                          Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
        except OSError:
            return False
        pid = int(fields.get("PPid", "0").strip() or 0)
    return False


def bare_inprocess(samples: int) -> float:
    out = subprocess.run([sys.executable, str(BENCH_DIR / "bare_inprocess.py"), str(samples)],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    return round(json.loads(out.stdout)["p50_ms"], 2)


def deploy_into_new_sandboxes(client: LabClient, samples: int) -> float:
    """p50 of deploying rest-api into a sandbox that has never had it (a learner's first
    run). The first deploy of the day, which fills the lab's per-template cache, is not one of
    the samples: `lab serve` pays it once for everyone."""
    client.deploy(f"{LEARNER}-deploy-warmup", str(REST_API_PATTERN), stack="rest-api")
    names = iter(range(samples))

    def deploy():
        deployment = client.deploy(f"{LEARNER}-deploy-{next(names)}", str(REST_API_PATTERN),
                                   stack="rest-api")
        assert not deployment["reused"] and len(deployment["functions"]) == 3, deployment

    return p50(_timed(deploy, samples))


def reset_deployed_sandboxes(client: LabClient, samples: int) -> float:
    """p50 of `lab reset` on a sandbox with rest-api deployed (those deploy_into_new_sandboxes
    made): what "Reset my sandbox" costs a learner."""
    names = iter(range(samples))

    def reset():
        client.reset(f"{LEARNER}-deploy-{next(names)}")

    return p50(_timed(reset, samples))


def run(*, samples: int = 30) -> dict:
    cloud = LabCloud(port=0, data_dir=Path(tempfile.mkdtemp(prefix="lab-bench-"))).start()
    try:
        client = LabClient(cloud.url, token=cloud.control_token)
        sandbox = client.sandbox(LEARNER)
        deployment = client.deploy(LEARNER, str(BENCH_DIR / "put_item"), stack="bench")
        table = deployment["resources"]["BenchTable"]["physical_id"]
        fn = lambda_backends[sandbox["account_id"]]["us-east-1"].get_function(
            deployment["functions"]["PutFunction"])

        def cold():
            cloud.runtime.reap(account_id=sandbox["account_id"])
            assert cloud.invoke(fn, '{"n": 1}').cold_start

        cold_ms = p50(_timed(cold, max(10, samples // 3)))
        cloud.invoke(fn, '{"n": 0}')
        warm_ms = p50(_timed(lambda: cloud.invoke(fn, '{"n": 2}'), samples))

        started, count = time.perf_counter(), 0
        while time.perf_counter() - started < 2.0:
            cloud.invoke(fn, '{"n": 3}')
            count += 1
        per_second = round(count / (time.perf_counter() - started), 1)

        idle = [e for envs in cloud.runtime._idle.values() for e in envs]
        pid = host_pid(idle[0].pid) if idle else None
        idle_mb = unique_memory_mb(pid) if pid else None

        rest = client.deploy(LEARNER, str(REST_API_PATTERN), stack="rest-api")
        url = urlsplit(rest["apis"][0]["url"] + "/orders")
        # One connection for every request, kept alive as a browser or an SDK keeps it.
        connection = http.client.HTTPConnection(url.hostname, url.port)

        def post():
            connection.request("POST", url.path, body=b'{"item": "bench"}',
                               headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            assert response.status == 201

        post()
        rest_ms = p50(_timed(post, samples))
        fresh_ms = fresh_interpreter(cloud, sandbox, table, max(5, samples // 6))
        deploy_ms = deploy_into_new_sandboxes(client, samples)
        reset_ms = reset_deployed_sandboxes(client, samples)
    finally:
        cloud.stop()
    bare_ms = bare_inprocess(samples)
    figures = {
        "fresh_interpreter_p50_ms": fresh_ms,
        "cold_start_p50_ms": cold_ms,
        "warm_invoke_p50_ms": warm_ms,
        "bare_inprocess_p50_ms": bare_ms,
        "rest_run_p50_ms": rest_ms,
        "warm_invokes_per_s": per_second,
        "idle_env_unique_mb": idle_mb,
        "deploy_p50_ms": deploy_ms,
        "reset_p50_ms": reset_ms,
    }
    figures["goals"] = {
        "cold_start_vs_fresh": {"ratio": round(cold_ms / fresh_ms, 3),
                                "max": GOALS["cold_vs_fresh_max"],
                                "met": cold_ms <= GOALS["cold_vs_fresh_max"] * fresh_ms},
        "rest_run_vs_bare": {"ratio": round(rest_ms / bare_ms, 2),
                             "max": GOALS["rest_vs_bare_max"],
                             "met": rest_ms <= GOALS["rest_vs_bare_max"] * bare_ms},
        "warm_invokes_per_s": {"min": GOALS["warm_invokes_per_s_min"],
                               "met": per_second >= GOALS["warm_invokes_per_s_min"]},
        "idle_env_unique_mb": {"max": GOALS["idle_env_unique_mb_max"],
                               "met": idle_mb is not None
                               and idle_mb <= GOALS["idle_env_unique_mb_max"]},
        "deploy_p50_ms": {"max": GOALS["deploy_p50_ms_max"],
                          "met": deploy_ms <= GOALS["deploy_p50_ms_max"]},
    }
    figures["machine"] = {"cpus": os.cpu_count(), "python": sys.version.split()[0]}
    return figures
