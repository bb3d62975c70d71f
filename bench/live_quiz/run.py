"""The live quiz under a class's load: N phones join one live session (each holding its event
stream open), the instructor shows a question, every phone answers within `--spread` seconds,
and this prints one JSON summary: answers counted, the projector's histogram checked against
what was sent, how long after the last answer the projector's stream said so, how fast the
phones heard the question, answer latencies, errors.

    python bench/live_quiz/run.py --participants 300 --spread 8 --workers 2

Without --host it serves the app itself under granian's ASGI interface (asginl: ASGI without
the lifespan protocol, which Django does not speak; serverless_lab.asgi:application) on a
throwaway SQLite database; with --host it uses a running server, and this process must reach
the same database (the same DATABASE_URL or SQLITE_PATH, and DJANGO_SETTINGS_MODULE) to set up
the class and to check the rows.
"""

import argparse
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
GOALS = {"answers_window_s": 10, "projector_after_last_answer_ms": 1000}
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
BAR = re.compile(r'data-letter="([A-H])" data-count="(\d+)"')


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=300)
    parser.add_argument("--spread", type=float, default=8.0,
                        help="the phones answer at random moments within this many seconds")
    parser.add_argument("--workers", type=int, default=2, help="granian workers (no --host)")
    parser.add_argument("--host", default="", help="a running server (default: serve one)")
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # still stop the server we started
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "serverless_lab.settings.dev")
    with tempfile.TemporaryDirectory(prefix="live-bench-") as folder:
        server = None
        if not options.host:
            os.environ["SQLITE_PATH"] = str(Path(folder) / "bench.sqlite3")
            subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT,
                           check=True)
            server, options.host = serve(workers=options.workers)
        try:
            print(json.dumps(bench(options), indent=2))
        finally:
            if server:
                server.terminate()
                server.wait(timeout=20)
    return 0


def serve(*, workers: int) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "granian", "--interface", "asginl", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers), "--log-level", "warning",
         "serverless_lab.asgi:application"], cwd=ROOT, env=os.environ.copy())
    host = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(f"{host}/live/", timeout=10)
            return server, host
        except requests.RequestException:  # not listening yet, or still importing Django
            if time.monotonic() > deadline or server.poll() is not None:
                server.terminate()
                raise SystemExit("granian did not start") from None
            time.sleep(0.2)


def setup(host: str):
    """An instructor (signed in: their session cookie), a class, one question, a session."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from classrooms.services import classroom_create, instructor_grant
    from live.sessions import live_start
    from quizzes import bank
    from quizzes.store import bank_store

    user, _ = get_user_model().objects.get_or_create(username="live-bench-instructor")
    instructor_grant(username=user.username)
    classroom = classroom_create(name="Live quiz bench", instructor=user)
    bank_store(questions=[bank.Question(
        id="live-bench-q", type="single", domain="secure", stem="Which service queues work?",
        options=tuple(bank.Option(text=t, correct=t == "SQS", why=f"{t}: why")
                      for t in ("SQS", "S3", "IAM", "Route 53")))])
    session = live_start(classroom=classroom, host=user, title="Bench",
                         question_ids=["live-bench-q"])
    client = Client()
    client.force_login(user)
    staff = requests.Session()
    staff.cookies.set("sessionid", client.cookies["sessionid"].value)
    staff.get(f"{host}/live/{session.pk}/host/", timeout=30).raise_for_status()
    return session, staff


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def bench(options) -> dict:
    host, n = options.host, options.participants
    session, staff = setup(host)
    rng = random.Random(options.seed)
    heard: dict[str, list] = {"answers": [], "phones": []}
    shown_at = [0.0]

    def pace(action: str, index: int) -> requests.Response:
        response = staff.post(f"{host}/live/{session.pk}/pace/", timeout=60,
                              data={"action": action, "index": index},
                              headers={"X-CSRFToken": staff.cookies["csrftoken"],
                                       "HX-Request": "true"})
        response.raise_for_status()
        return response

    def listen(who: requests.Session, staff_stream: bool, ready: threading.Event) -> None:
        with who.get(f"{host}/live/{session.pk}/events/", stream=True, timeout=120) as stream:
            ready.set()
            event, heard_question = "", False
            for line in stream.iter_lines(decode_unicode=True):
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and staff_stream and event == "answers":
                    heard["answers"].append((time.monotonic(), int(line[6:])))
                elif (line.startswith("data: ") and event == "phase" and shown_at[0]
                      and not staff_stream and not heard_question):
                    heard["phones"].append(time.monotonic() - shown_at[0])
                    heard_question = True

    def join(i: int) -> requests.Session:
        phone = requests.Session()
        page = phone.get(f"{host}/live/join/{session.pin}/", timeout=60)
        token = TOKEN.search(page.text)[1]
        joined = phone.post(f"{host}/live/", timeout=60, data={
            "csrfmiddlewaretoken": token, "pin": session.pin, "name": f"phone {i}"})
        joined.raise_for_status()
        return phone

    say(f"joining {n} phones to PIN {session.pin} at {host}")
    with ThreadPoolExecutor(max_workers=32) as pool:
        phones = list(pool.map(join, range(n)))
    say("opening their event streams")
    threads, ready = [], []
    for who, is_staff in [(staff, True)] + [(p, False) for p in phones]:
        ready.append(threading.Event())
        threads.append(threading.Thread(target=listen, args=(who, is_staff, ready[-1]),
                                        daemon=True))
        threads[-1].start()
    for event in ready:
        if not event.wait(60):
            raise SystemExit("an event stream did not open within 60 s")
    time.sleep(1)  # the streams' first events (the lobby) out of the way

    say(f"showing the question; answers within {options.spread} s")
    chosen = [rng.choice("ABCD") for _ in range(n)]
    results: list[tuple[float, float, int, bool]] = [None] * n  # type: ignore[list-item]
    shown_at[0] = time.monotonic()
    pace("show", -1)
    start = time.monotonic()
    offsets = [rng.uniform(0, options.spread) for _ in range(n)]

    def answer(i: int) -> None:
        time.sleep(max(0.0, start + offsets[i] - time.monotonic()))
        sent = time.monotonic()
        phone = phones[i]
        response = phone.post(f"{host}/live/{session.pk}/answer/", timeout=60,
                              data={"index": 0, "answer": chosen[i]},
                              headers={"X-CSRFToken": phone.cookies.get("csrftoken", ""),
                                       "HX-Request": "true"})
        done = time.monotonic()
        results[i] = (sent, done, response.status_code, "Answer taken" in response.text)

    with ThreadPoolExecutor(max_workers=n) as pool:
        list(pool.map(answer, range(n)))
    say("answered; waiting for the projector's stream")
    last_answer = max(r[1] for r in results)
    deadline = time.monotonic() + 30
    while not any(count >= n for _, count in heard["answers"]) and time.monotonic() < deadline:
        time.sleep(0.01)
    told = next((at for at, count in heard["answers"] if count >= n), None)

    pace("close", 0)
    stage = staff.get(f"{host}/live/{session.pk}/host/", timeout=60).text
    histogram = {letter: int(count) for letter, count in BAR.findall(stage)}
    sent_counts = {letter: chosen.count(letter) for letter in "ABCD"}
    pace("end", 0)

    from live.models import LiveAnswer

    latencies = sorted((r[1] - r[0]) * 1000 for r in results)
    phones_heard = sorted(heard["phones"])
    return {
        "participants": n, "server": host, "spread_s": options.spread,
        "answers_taken": sum(r[3] for r in results),
        "answer_rows": LiveAnswer.objects.filter(session=session).count(),
        "errors": sum(r[2] != 200 for r in results),
        "answers_window_s": round(last_answer - start, 2),
        "answer_ms": {"p50": round(statistics.median(latencies)),
                      "p95": round(latencies[int(0.95 * (n - 1))]),
                      "max": round(latencies[-1])},
        "projector_after_last_answer_ms": round((told - last_answer) * 1000) if told else None,
        "histogram_ok": histogram == sent_counts, "histogram": histogram,
        "phones_heard_question_ms": {
            "count": len(phones_heard),
            "p50": round(statistics.median(phones_heard) * 1000) if phones_heard else None,
            "max": round(phones_heard[-1] * 1000) if phones_heard else None},
        "goals": GOALS,
    }


if __name__ == "__main__":
    raise SystemExit(main())
