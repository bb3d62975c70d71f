"""The class load test, headless: locust runs the learners of locustfile.py against a running
`make serve`, and this prints one JSON summary: p50/p95 per action, errors, and the server's
memory (the serve process tree, read from /proc) after warm-up and at the end.

    python bench/class_load/run.py --users 100 --spawn-rate 2 --minutes 5 \
        --host http://127.0.0.1:8000

Needs the bench extra (`pip install -e '.[bench]'`). Half the learners sign up (the share is
CLASS_SIGNED_IN_SHARE): raise the server's RATE_LIMIT_SIGNUP for a class behind one address
(every learner of the load test comes from 127.0.0.1)."""

import argparse
import csv
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

HERE = Path(__file__).resolve().parent
GOALS = {"page_p95_ms": 300, "run_p95_ms": 2000, "errors": 0, "memory_growth_pct": 10}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--spawn-rate", type=float, default=2.0,
                        help="learners arriving per second (100 at 2/s: within a minute)")
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--host", default="http://127.0.0.1:8000")
    parser.add_argument("--warmup-seconds", type=float, default=None,
                        help="when to read the server's memory first (default: once every "
                             "learner has arrived, plus 30 s, at most half the run)")
    parser.add_argument("--serve-pid", type=int, default=None,
                        help="the `manage.py serve` process (default: found by its --port)")
    options = parser.parse_args(argv)

    seconds = options.minutes * 60
    warmup = options.warmup_seconds
    if warmup is None:
        warmup = min(options.users / options.spawn_rate + 30, seconds / 2)
    serve_pid = options.serve_pid or serve_process(port=urlparse(options.host).port or 80)

    with tempfile.TemporaryDirectory(prefix="class-load-") as folder:
        prefix = os.path.join(folder, "class")
        locust = subprocess.Popen(
            [sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless",
             "--users", str(options.users), "--spawn-rate", str(options.spawn_rate),
             "--run-time", f"{int(seconds)}s", "--host", options.host, "--csv", prefix,
             "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "30"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        started = time.monotonic()
        after_warmup = None
        while locust.poll() is None:
            if after_warmup is None and time.monotonic() - started >= warmup:
                after_warmup = tree_memory(serve_pid)
            time.sleep(0.5)
        at_end = tree_memory(serve_pid)
        stderr = locust.stderr.read()
        actions = read_stats(prefix + "_stats.csv")
        errors = read_failures(prefix + "_failures.csv")
    if not actions.get("all", {}).get("requests"):
        print(f"locust made no request:\n{stderr}", file=sys.stderr)
        return 1

    summary = {
        "users": options.users, "spawn_rate": options.spawn_rate, "minutes": options.minutes,
        "host": options.host, "machine": machine(),
        "actions": actions,
        "errors": sum(e["occurrences"] for e in errors), "error_kinds": errors,
        "server_memory": {"after_warmup": after_warmup, "end": at_end,
                          "warmup_seconds": warmup},
    }
    summary["goals"] = goals(summary)
    print(json.dumps(summary, indent=2))
    return 0


def read_stats(path: str) -> dict:
    actions = {}
    if not os.path.exists(path):
        return actions
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            actions[row["Name"] if row["Name"] != "Aggregated" else "all"] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "p50_ms": _number(row["50%"]),
                "p95_ms": _number(row["95%"]),
                "max_ms": _number(row["Max Response Time"]),
            }
    return actions


def read_failures(path: str) -> list[dict]:
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return [{"action": row["Name"], "error": row["Error"],
                 "occurrences": int(row["Occurrences"])} for row in csv.DictReader(f)]


def _number(text: str):
    try:
        return round(float(text), 1)
    except ValueError:
        return None


def serve_process(*, port: int) -> int | None:
    """The `manage.py serve ... --port PORT` process on this machine, if there is one."""
    for pid in _pids():
        argv = _cmdline(pid)
        if "manage.py" in " ".join(argv) and "serve" in argv and (
                "--port" not in argv or argv[argv.index("--port") + 1] == str(port)):
            return pid
    return None


def tree_memory(root: int | None) -> dict | None:
    """RSS summed over `root` and every descendant (what `top` would add up; forked workers
    share pages, counted once each in PSS, also given)."""
    if root is None:
        return None
    parents = {pid: _ppid(pid) for pid in _pids()}
    tree, frontier = set(), {root}
    while frontier:
        tree |= frontier
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - tree
    rss = pss = 0
    for pid in tree:
        figures = _smaps_rollup(pid)
        rss += figures.get("Rss", 0)
        pss += figures.get("Pss", 0)
    return {"processes": len(tree), "rss_mb": round(rss / 1024, 1), "pss_mb": round(pss / 1024, 1)}


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def _ppid(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def _smaps_rollup(pid: int) -> dict[str, int]:
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return {}
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+):\s+(\d+) kB", text, re.MULTILINE)}


def machine() -> str:
    memory = Path("/proc/meminfo").read_text().split("\n", 1)[0].split()[1]
    return (f"{platform.machine()}, {os.cpu_count()} cores, {int(memory) // 1024 // 1024} GiB, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}")


def goals(summary: dict) -> dict:
    actions = summary["actions"]
    memory = summary["server_memory"]
    growth = None
    if memory["after_warmup"] and memory["end"] and memory["after_warmup"]["rss_mb"]:
        growth = round(100 * (memory["end"]["rss_mb"] / memory["after_warmup"]["rss_mb"] - 1), 1)
    page = actions.get("page", {}).get("p95_ms")
    run = actions.get("run", {}).get("p95_ms")
    return {
        "page_p95_ms": {"goal": GOALS["page_p95_ms"], "measured": page,
                        "met": page is not None and page <= GOALS["page_p95_ms"]},
        "run_p95_ms": {"goal": GOALS["run_p95_ms"], "measured": run,
                       "met": run is not None and run <= GOALS["run_p95_ms"]},
        "errors": {"goal": GOALS["errors"], "measured": summary["errors"],
                   "met": summary["errors"] == 0},
        "memory_growth_pct": {"goal": GOALS["memory_growth_pct"], "measured": growth,
                              "met": growth is not None and growth <= GOALS["memory_growth_pct"]},
    }


if __name__ == "__main__":
    sys.exit(main())
