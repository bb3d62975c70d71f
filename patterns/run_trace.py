"""What a run found: its steps, their hops from the lab cloud's trace, the expectations checked.

`RunTrace.as_json()` is the trace JSON schema the README documents (`lab run --json`). The
scenario runner (runs.py) and the WebSocket steps (websocket_steps.py) both build these.
"""

import time
from dataclasses import asdict, dataclass, field

QUIET_TIMEOUT_SECONDS = 10.0
EVENT_TYPES_SHOWN = ("http", "delivery", "invocation", "api_call", "execution")


@dataclass
class Expectation:
    step: str
    check: str
    expected: object
    actual: object
    passed: bool


@dataclass
class StepResult:
    name: str
    request: dict
    response: dict | None = None
    events: list[dict] = field(default_factory=list)
    expectations: list[Expectation] = field(default_factory=list)

    @property
    def invocations(self) -> list[dict]:
        return [e for e in self.events if e["type"] == "invocation"]


@dataclass
class RunTrace:
    pattern: str
    scenario: str | None
    learner: str
    account_id: str
    stack: str
    started_at: float
    duration_ms: float = 0.0
    steps: list[StepResult] = field(default_factory=list)
    error: str | None = None
    notice: str | None = None  # e.g. the sandbox was rebuilt after the lab restarted

    @property
    def expectations(self) -> list[Expectation]:
        return [x for step in self.steps for x in step.expectations]

    @property
    def invocations(self) -> list[dict]:
        return [i for step in self.steps for i in step.invocations]

    @property
    def ok(self) -> bool:
        return self.error is None and all(x.passed for x in self.expectations)

    def as_json(self) -> dict:
        document = asdict(self)
        document["ok"] = self.ok
        document["invocations"] = [_invocation_summary(i) for i in self.invocations]
        document["expectations"] = [asdict(x) for x in self.expectations]
        return document


def _invocation_summary(event: dict) -> dict:
    keys = ("function_name", "request_id", "cold_start", "duration_ms", "billed_duration_ms",
            "memory_size_mb", "max_memory_used_mb", "init_duration_ms", "initialization_type",
            "version", "error", "report")
    return {k: event.get(k) for k in keys}



def events_until_quiet(client, learner, mark) -> list[dict]:
    """The trace's events since `mark`, once the learner's sandbox is quiet (or the wait
    gives up), in the order they started."""
    deadline = time.monotonic() + QUIET_TIMEOUT_SECONDS
    while True:
        page = client.trace(learner, since=mark)
        if page["quiet"] or time.monotonic() > deadline:
            events = [e for e in page["events"] if e["type"] in EVENT_TYPES_SHOWN]
            return sorted(events, key=lambda e: (e["at"], e["seq"]))
        time.sleep(0.02)
