"""The trace recorder: every hop in a sandbox, in order.

Events are plain dicts (they travel as JSON to the web app and the CLI), numbered by one
sequence across the lab cloud so a run can ask for "everything since N" in its account.
Each account keeps a bounded history, so a busy sandbox never grows memory without limit.
"""

import threading
import time
from collections import deque

HISTORY_PER_ACCOUNT = 5000

# Event types. Each event has: seq, type, account_id, at (epoch seconds), and its own fields.
API_CALL = "api_call"  # service, operation, status, duration_ms, caller, request
HTTP = "http"  # an HTTP request to an API Gateway endpoint: method, path, status, api_id...
DELIVERY = "delivery"  # source -> target with the event document: source, target, mode, event
INVOCATION = "invocation"  # one Lambda invocation with the REPORT figures and logs
# A Step Functions history event: execution, state_machine, event (AWS's history event
# type), state, error, cause, note (the lab's, e.g. how long a Wait lasts in lab time).
EXECUTION = "execution"


class Recorder:
    def __init__(self) -> None:
        self._last_seq = 0
        self._lock = threading.Lock()
        self._events: dict[str, deque] = {}
        self._inflight: dict[str, int] = {}
        self._busy_checks: list = []  # (account_id) -> bool, e.g. pollers with messages

    def add_busy_check(self, check) -> None:
        """Something besides a hop that keeps an account from being quiet (a poller whose
        queue still has messages); asked on every `quiet`, so it must be cheap."""
        self._busy_checks.append(check)

    def record(self, account_id: str, type_: str, **fields) -> dict:
        """Append an event; the returned dict may be filled in further until the hop ends."""
        with self._lock:
            self._last_seq += 1
            event = {"seq": self._last_seq, "type": type_, "account_id": account_id,
                     "at": time.time(), **fields}
            self._events.setdefault(account_id, deque(maxlen=HISTORY_PER_ACCOUNT)).append(event)
        return event

    def last_seq(self) -> int:
        with self._lock:
            return self._last_seq

    def since(self, account_id: str, seq: int) -> list[dict]:
        with self._lock:
            return [dict(e) for e in self._events.get(account_id, ()) if e["seq"] > seq]

    def begin(self, account_id: str) -> None:
        """A hop started in the account (an invocation, an HTTP request): not quiet yet."""
        with self._lock:
            self._inflight[account_id] = self._inflight.get(account_id, 0) + 1

    def end(self, account_id: str) -> None:
        with self._lock:
            self._inflight[account_id] = self._inflight.get(account_id, 1) - 1

    def quiet(self, account_id: str) -> bool:
        with self._lock:
            if self._inflight.get(account_id, 0) > 0:
                return False
        return not any(check(account_id) for check in self._busy_checks)

    def forget(self, account_id: str) -> None:
        with self._lock:
            self._events.pop(account_id, None)
