"""A run's timeline, as X-Ray draws a trace: every hop of the trace JSON (run_trace.py) as a bar
on one time axis, nested under what caused it, and the order its hops light up the
architecture diagram in (the replay).

Parents are found from what the trace records: a delivery from `apigateway:<api>` belongs to
that API's request, an invocation to the delivery that targeted its function, an SDK call to
the invocation of its `function:<name>` caller (or the state of its `states:` caller), a
queue's or topic's delivery to the call that put the message there. Waits the lab shortens
(Step Functions Wait states and Retry intervals, Lambda's asynchronous retries) are drawn at
their lab length and labelled with both durations.
"""

import re
from dataclasses import dataclass, field

from .sequence import SERVICE_NAMES

LAB_NOTE = re.compile(r"(waits|retry after) ([\d.]+) s \(lab time: (\d+) ms")
TERMINAL = {"ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"}
WRITES = re.compile(r"^(Put|Send|Publish|Update|Delete|Create|Upload|Copy|Complete|"
                    r"BatchWrite|TransactWrite|StartExecution|Invoke)")
SOURCE_SERVICE = {"aws:sqs": "sqs", "aws:sns": "sns", "aws:s3": "s3", "aws:events": "events",
                  "aws:kinesis": "kinesis", "aws:dynamodb": "dynamodb",
                  "aws:firehose": "firehose"}
FED_BY = {"aws:sqs": ("sqs", "sns"), "aws:sns": ("sns",), "aws:events": ("events",),
          "aws:s3": ("s3",)}
MIN_WIDTH_PERCENT = 0.4
# A physical name the stack gave a resource: <stack>-<LogicalId>-<SUFFIX>.
STACK_NAME = re.compile(r"(?:^|[/:])(?P<stack>[a-z0-9-]+?)-(?P<logical>[A-Za-z0-9]+)-[A-Z0-9]{6,}")


@dataclass
class Bar:
    id: str
    kind: str  # step, http, delivery, invocation, api_call, execution, state, wait
    label: str
    start_ms: float
    duration_ms: float
    parent: str | None = None
    depth: int = 0
    init_ms: float | None = None  # a cold start's Init, drawn before the handler
    cold: bool = False
    error: str | None = None
    shortened: str | None = None  # "60 s on AWS, 600 ms in the lab"
    figures: list[tuple[str, str]] = field(default_factory=list)
    left: float = 0.0  # percent of the axis
    width: float = 0.0
    init_width: float = 0.0  # percent of the bar that is Init

    @property
    def end_ms(self) -> float:
        return self.start_ms + self.duration_ms


@dataclass
class Timeline:
    bars: list[Bar]
    total_ms: float
    ticks: list[tuple[float, str]] = field(default_factory=list)  # (percent, label)


def timeline_from_run(*, run: dict) -> Timeline:
    """The run's hops as nested bars, parents before their children, on one axis."""
    events = [(step_index, e) for step_index, step in enumerate(run.get("steps", []))
              for e in step.get("events", [])]
    if not events:
        return Timeline(bars=[], total_ms=0.0)
    origin = min(e["at"] for _, e in events)
    bars: dict[str, Bar] = {}
    steps = [Bar(id=f"s{i}", kind="step", label=_step_label(step), start_ms=0, duration_ms=0)
             for i, step in enumerate(run.get("steps", []))]
    ordered = sorted(events, key=lambda pair: (pair[1]["at"], pair[1].get("seq", 0)))
    seen: list[tuple[dict, Bar]] = []
    claimed: set[str] = set()
    executions: dict[str, Bar] = {}
    for step_index, event in ordered:
        bar = _bar(event, start_ms=(event["at"] - origin) * 1000)
        if event["type"] == "execution":
            arn = event.get("execution_arn") or event.get("execution")
            if event.get("event") in TERMINAL and arn in executions:
                started = executions[arn]
                started.duration_ms = max(started.duration_ms, bar.start_ms - started.start_ms)
                started.label += f" → {event['event'].removeprefix('Execution').lower()}"
                started.error = event.get("error") or started.error
                _close_state(seen, arn, bar.start_ms)
                continue
            if event.get("event") == "ExecutionStarted":
                executions[arn] = bar
            else:
                _close_state(seen, arn, bar.start_ms)
        parent = _parent(event, seen, claimed, executions)
        bar.parent = parent.id if parent else steps[step_index].id
        bars[bar.id] = bar
        seen.append((event, bar))
        if event["type"] == "delivery" and event.get("lab_retry_after_s") is not None:
            wait = _retry_wait(event, bar)
            bars[wait.id] = wait
            seen.append(({"type": "wait"}, wait))
    for bar in reversed(list(bars.values())):  # children after parents: grow parents to fit
        parent = bars.get(bar.parent)
        if parent and parent.kind in ("delivery", "execution") and bar.end_ms > parent.end_ms:
            parent.duration_ms = bar.end_ms - parent.start_ms
    for step in steps:
        members = [b for b in bars.values() if b.parent == step.id]
        if members:
            step.start_ms = min(b.start_ms for b in members)
            step.duration_ms = max(_subtree_end(b, bars) for b in members) - step.start_ms
    everything = [s for s in steps if s.duration_ms or _has_children(s, bars)] + \
        list(bars.values())
    total = max((b.end_ms for b in everything), default=0.0) or 1.0
    ordered_bars = _depth_first(everything)
    for bar in ordered_bars:
        bar.left = round(bar.start_ms / total * 100, 3)
        bar.width = round(max(bar.duration_ms / total * 100, MIN_WIDTH_PERCENT), 3)
        if bar.init_ms:
            bar.init_width = round(bar.init_ms / max(bar.duration_ms, 0.001) * 100, 3)
    return Timeline(bars=ordered_bars, total_ms=round(total, 2), ticks=_ticks(total))


def _step_label(step: dict) -> str:
    request = step.get("request") or {}
    if request.get("method"):
        return f"{step.get('name')}: {request['method']} {request.get('path', '')}"
    return str(step.get("name", "step"))


def _bar(event: dict, *, start_ms: float) -> Bar:
    kind = event["type"]
    bar = Bar(id=f"e{event.get('seq', id(event))}", kind=kind, label=kind,
              start_ms=round(start_ms, 3), duration_ms=float(event.get("duration_ms") or 0))
    if kind == "http":
        bar.label = f"API Gateway {event.get('method')} {event.get('path')}"
        bar.figures = [("Status", str(event.get("status"))),
                       ("Duration", f"{event.get('duration_ms')} ms")]
        bar.error = f"HTTP {event['status']}" if (event.get("status") or 0) >= 500 else None
    elif kind == "delivery":
        target = short_name(event.get("target", ""))
        bar.label = f"{_source_name(event.get('source', ''))} → {target}"
        bar.figures = [("Mode", str(event.get("mode"))), ("Source", str(event.get("source")))]
        if event.get("batch_size") is not None:
            bar.figures.append(("Batch size", str(event["batch_size"])))
    elif kind == "invocation":
        init = event.get("init_duration_ms")
        bar.label = f"Lambda {short_name(event.get('function_name', ''))}"
        bar.cold = bool(event.get("cold_start"))
        bar.init_ms = float(init) if init else None
        bar.duration_ms = float(event.get("duration_ms") or 0) + (bar.init_ms or 0)
        bar.error = (event.get("error") or {}).get("errorType") if event.get("error") else None
        bar.figures = [(k, v) for k, v in [
            ("Start", "cold" if bar.cold else "warm"),
            ("Init Duration", f"{init} ms" if init else ""),
            ("Duration", f"{event.get('duration_ms')} ms"),
            ("Billed Duration", f"{event.get('billed_duration_ms')} ms"),
            ("Memory", f"{event.get('memory_size_mb')} MB")] if v]
    elif kind == "api_call":
        service = SERVICE_NAMES.get(event.get("service"), event.get("service"))
        bar.label = f"{service} {event.get('operation')}"
        bar.figures = [("Status", str(event.get("status"))),
                       ("Duration", f"{event.get('duration_ms')} ms"),
                       ("Caller", str(event.get("caller")))]
        bar.error = f"HTTP {event['status']}" if (event.get("status") or 0) >= 400 else None
    elif kind == "execution":
        if event.get("event") == "ExecutionStarted":
            bar.label = f"Step Functions {short_name(event.get('state_machine', ''))}"
        else:
            bar.kind = "state"
            bar.label = f"{event.get('state') or ''} ({event.get('event')})".strip()
        bar.error = event.get("error")
        bar.figures = [("Event", str(event.get("event")))]
        if event.get("note"):
            bar.figures.append(("Lab note", event["note"]))
            found = LAB_NOTE.search(event["note"])
            if found:
                bar.shortened = f"{found[2]} s on AWS, {found[3]} ms in the lab"
    return bar


def _retry_wait(event: dict, delivery: Bar) -> Bar:
    lab_ms = float(event["lab_retry_after_s"]) * 1000
    wait = Bar(id=f"{delivery.id}w", kind="wait", parent=delivery.parent,
               label=f"retry delay before attempt {event.get('attempt', '')}".strip(),
               start_ms=delivery.start_ms, duration_ms=lab_ms)
    wait.shortened = f"{event.get('retry_after_s')} s on AWS, {lab_ms:.0f} ms in the lab"
    wait.figures = [("On AWS", f"{event.get('retry_after_s')} s"), ("In the lab",
                                                                     f"{lab_ms:.0f} ms")]
    return wait


def _close_state(seen, arn, at_ms) -> None:
    """The execution's state still open ends when the next one enters (or the run ends)."""
    for event, bar in reversed(seen):
        if bar.kind == "state" and (event.get("execution_arn") or event.get("execution")) == arn:
            if not bar.duration_ms:
                bar.duration_ms = max(at_ms - bar.start_ms, 0.0)
            return


def _parent(event, seen, claimed, executions) -> Bar | None:
    kind = event["type"]

    def latest(match):
        for earlier, bar in reversed(seen):
            if match(earlier, bar):
                return bar
        return None

    if kind == "delivery":
        source = str(event.get("source", ""))
        if source.startswith(("apigateway:", "apigateway-ws:")):
            api = source.split(":", 1)[1].split("/")[0]
            return latest(lambda e, b: e["type"] == "http" and e.get("api_id") == api)
        if source.startswith("states:"):
            name = source.removeprefix("states:")
            return latest(lambda e, b: b.kind == "state" and e.get("execution") == name)
        if source in SOURCE_SERVICE:
            # The call that put the message there; a queue SNS fills, the topic's Publish.
            services = FED_BY.get(source, (SOURCE_SERVICE[source],))
            return latest(lambda e, b: e["type"] == "api_call" and e.get("service") in services
                          and WRITES.match(str(e.get("operation", ""))))
        if source.startswith("lambda:async"):
            target = event.get("target")
            return latest(lambda e, b: e["type"] == "invocation" and
                          e.get("function_name") == target) or latest(
                lambda e, b: e["type"] == "api_call" and e.get("service") == "lambda")
        return latest(lambda e, b: e["type"] == "invocation" and
                      e.get("function_name") == source)
    if kind == "invocation":
        name = event.get("function_name")
        found = latest(lambda e, b: e["type"] == "delivery" and e.get("target") == name
                       and b.id not in claimed)
        if found:
            claimed.add(found.id)
        return found
    if kind == "api_call":
        caller = str(event.get("caller", ""))
        if caller.startswith("function:"):
            name = caller.removeprefix("function:")
            return latest(lambda e, b: e["type"] == "invocation" and
                          e.get("function_name") == name)
        if caller.startswith("states:"):
            machine = caller.removeprefix("states:")
            return latest(lambda e, b: b.kind == "state" and e.get("state_machine") == machine)
        if caller.startswith("apigateway:"):
            api = caller.removeprefix("apigateway:")
            return latest(lambda e, b: e["type"] == "http" and e.get("api_id") == api)
        if caller == "aws-service":  # Firehose writing its buffer to S3
            return latest(lambda e, b: e["type"] == "delivery" and
                          e.get("source") == "aws:firehose")
        return None
    if kind == "execution":
        arn = event.get("execution_arn") or event.get("execution")
        if event.get("event") == "ExecutionStarted":
            return latest(lambda e, b: e["type"] == "api_call" and
                          e.get("operation") == "StartExecution") or latest(
                lambda e, b: e["type"] == "delivery" and
                str(e.get("target", "")) in str(event.get("state_machine", "")))
        return executions.get(arn)
    return None


def _subtree_end(bar: Bar, bars: dict[str, Bar]) -> float:
    ends = [bar.end_ms] + [_subtree_end(b, bars) for b in bars.values() if b.parent == bar.id]
    return max(ends)


def _has_children(bar: Bar, bars: dict[str, Bar]) -> bool:
    return any(b.parent == bar.id for b in bars.values())


def _depth_first(bars: list[Bar]) -> list[Bar]:
    children: dict[str | None, list[Bar]] = {}
    ids = {b.id for b in bars}
    for bar in bars:
        children.setdefault(bar.parent if bar.parent in ids else None, []).append(bar)
    ordered = []

    def visit(parent_id, depth):
        for bar in sorted(children.get(parent_id, []), key=lambda b: b.start_ms):
            bar.depth = depth
            ordered.append(bar)
            visit(bar.id, depth + 1)

    visit(None, 0)
    return ordered


def _ticks(total_ms: float) -> list[tuple[float, str]]:
    step = next((s for s in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000,
                             20000, 60000) if total_ms / s <= 8), 60000)
    return [(round(t / total_ms * 100, 3), f"{t:g} ms" if t < 1000 else f"{t / 1000:g} s")
            for t in range(0, int(total_ms) + 1, step)]


def _source_name(source: str) -> str:
    if source.startswith("apigateway"):
        return "API Gateway"
    if source.startswith("states:"):
        return "Step Functions"
    if source.startswith("lambda:"):
        return "Lambda " + source.removeprefix("lambda:")
    return SERVICE_NAMES.get(source.removeprefix("aws:"), short_name(source))


def short_name(name: str) -> str:
    """A stack-made name's logical id: rest-api-OrdersFunction-ABC123 -> OrdersFunction."""
    found = STACK_NAME.search(name or "")
    return found["logical"] if found else (name or "").rsplit(":", 1)[-1]


def replay_from_run(*, run: dict, nodes: dict[str, str]) -> list[dict]:
    """The run's hops in order, as the architecture diagram's nodes (`nodes`: id -> layer)
    that light up together: [{"nodes": [...], "label": ...}], repeats merged."""
    hops: list[dict] = []
    for step in run.get("steps", []):
        for event in sorted(step.get("events", []), key=lambda e: (e["at"], e.get("seq", 0))):
            lit = _hop_nodes(event, nodes)
            if lit and (not hops or hops[-1]["nodes"] != lit):
                hops.append({"nodes": lit, "label": _bar(event, start_ms=0).label})
    return hops


def _hop_nodes(event: dict, nodes: dict[str, str]) -> list[str]:
    kind = event["type"]
    if kind == "http":
        apis = [n for n, layer in nodes.items() if layer == "api" and
                n.lower().endswith("api")]
        return [n for n in ["client", *apis[:1]] if n in nodes]
    names: list[str] = []
    if kind == "delivery":
        names = [event.get("target", "")]
    elif kind == "invocation":
        names = [event.get("function_name", "")]
    elif kind == "api_call":
        request = event.get("request") if isinstance(event.get("request"), dict) else {}
        names = [str(event.get("caller", ""))] + [str(v) for k, v in (request or {}).items()
                                                  if isinstance(v, str)] + \
            [str(k) for k in ((request or {}).get("RequestItems") or {})]
    elif kind == "execution" and event.get("event") == "ExecutionStarted":
        names = [event.get("state_machine", "")]
    return list(dict.fromkeys(n for n in (short_name(x) for x in names) if n in nodes))
