"""A run's timeline (patterns/timeline.py): hops nested under what caused them on one time axis,
cold starts split into Init and handler, waits the lab shortened labelled with both durations,
the replay's order on the architecture diagram, and the diagram's AWS category colours."""

import pytest

from patterns.catalog import CATALOG_DIR
from patterns.diagrams import diagram_from_template
from patterns.timeline import replay_from_run, short_name, timeline_from_run

T0 = 1_800_000_000.0
FN = "rest-api-CreateOrderFunction-ABC123XYZ"
TABLE = "rest-api-OrdersTable-QWERTY12"


def _at(ms):
    return T0 + ms / 1000


def _rest_run():
    """POST /orders: API Gateway -> CreateOrderFunction (cold: 20 ms Init, 30 ms handler)
    -> DynamoDB PutItem, as the lab cloud's trace records them (seq order differs from time)."""
    return {"steps": [{"name": "create", "request": {"method": "POST", "path": "/orders"},
                       "events": [
        {"seq": 1, "type": "http", "at": _at(0), "method": "POST", "path": "/orders",
         "api_id": "abc", "status": 201, "duration_ms": 60.0, "resource": "/orders"},
        {"seq": 2, "type": "delivery", "at": _at(1), "source": "apigateway:abc/Prod",
         "target": FN, "mode": "sync"},
        {"seq": 4, "type": "invocation", "at": _at(2), "function_name": FN, "cold_start": True,
         "init_duration_ms": 20.0, "duration_ms": 30.0, "billed_duration_ms": 50,
         "memory_size_mb": 128},
        {"seq": 3, "type": "api_call", "at": _at(30), "service": "dynamodb",
         "operation": "PutItem", "caller": f"function:{FN}", "status": 200,
         "duration_ms": 5.0, "request": {"TableName": TABLE}},
    ]}]}


def test_hops_nest_under_what_caused_them_on_one_axis():
    timeline = timeline_from_run(run=_rest_run())
    kinds = [(bar.kind, bar.depth) for bar in timeline.bars]
    assert kinds == [("step", 0), ("http", 1), ("delivery", 2), ("invocation", 3),
                     ("api_call", 4)]
    http, delivery, invocation, call = timeline.bars[1:]
    assert delivery.parent == http.id and invocation.parent == delivery.id
    assert call.parent == invocation.id
    assert timeline.total_ms == 60.0  # the HTTP request is the longest hop
    assert (http.left, http.width) == (0.0, 100.0)
    assert call.left == 50.0  # 30 ms of 60


def test_a_cold_start_is_split_into_init_and_handler():
    invocation = next(b for b in timeline_from_run(run=_rest_run()).bars
                      if b.kind == "invocation")
    assert invocation.cold and invocation.init_ms == 20.0
    assert invocation.duration_ms == 50.0  # Init 20 + handler 30
    assert invocation.init_width == 40.0  # percent of the bar
    assert ("Init Duration", "20.0 ms") in invocation.figures
    assert invocation.label == "Lambda CreateOrderFunction"


def test_waits_the_lab_shortened_carry_both_durations():
    run = {"steps": [{"name": "start", "request": {}, "events": [
        {"seq": 1, "type": "api_call", "at": _at(0), "service": "states",
         "operation": "StartExecution", "caller": "learner:ada", "status": 200,
         "duration_ms": 4.0},
        {"seq": 2, "type": "execution", "at": _at(5), "execution": "x1", "execution_arn": "a1",
         "state_machine": "wf-Flow-ABCDEF12", "event": "ExecutionStarted"},
        {"seq": 3, "type": "execution", "at": _at(6), "execution": "x1", "execution_arn": "a1",
         "state_machine": "wf-Flow-ABCDEF12", "event": "WaitStateEntered", "state": "Pause",
         "note": "waits 60 s (lab time: 600 ms, or until the sandbox clock passes its end)"},
        {"seq": 4, "type": "execution", "at": _at(606), "execution": "x1",
         "execution_arn": "a1", "event": "ExecutionSucceeded"},
        {"seq": 5, "type": "delivery", "at": _at(700), "source": "lambda:async-retry",
         "target": FN, "mode": "async", "attempt": 2, "retry_after_s": 60,
         "lab_retry_after_s": 1.0},
    ]}]}
    bars = {bar.label: bar for bar in timeline_from_run(run=run).bars}
    pause = bars["Pause (WaitStateEntered)"]
    assert pause.shortened == "60 s on AWS, 600 ms in the lab"
    assert pause.duration_ms == pytest.approx(600.0)
    execution = bars["Step Functions Flow → succeeded"]
    assert execution.parent == bars["Step Functions StartExecution"].id
    assert pause.parent == execution.id
    retry = bars["retry delay before attempt 2"]
    assert retry.shortened == "60 s on AWS, 1000 ms in the lab"
    assert retry.duration_ms == 1000.0


def test_a_run_without_hops_has_an_empty_timeline():
    assert timeline_from_run(run={"steps": [{"name": "x", "events": []}]}).bars == []
    assert timeline_from_run(run={}).bars == []


def test_replay_lights_the_diagrams_nodes_in_the_runs_order():
    diagram = diagram_from_template(CATALOG_DIR / "rest-api")
    nodes = {n: layer for n, (layer, _) in diagram.nodes.items()}
    hops = replay_from_run(run=_rest_run(), nodes=nodes)
    assert [hop["nodes"] for hop in hops] == [
        ["client", "ServerlessRestApi"], ["CreateOrderFunction"],
        ["CreateOrderFunction", "OrdersTable"]]
    assert short_name(TABLE) == "OrdersTable"


def test_diagram_nodes_take_their_aws_icon_category_colours():
    diagram = diagram_from_template(CATALOG_DIR / "async-queue")
    mermaid = diagram.mermaid()
    assert "classDef aws_compute fill:#FDEBD9,stroke:#ED7100" in mermaid
    assert "classDef aws_integration fill:#FCE3EF,stroke:#E7157B" in mermaid
    assert "classDef aws_database fill:#F7E2F8,stroke:#C925D1" in mermaid
    assert "classDef aws_networking fill:#EEE6FF,stroke:#8C4FFF" in mermaid
    compute = next(line for line in mermaid.splitlines() if line.endswith(" aws_compute"))
    assert "ProcessOrderFunction" in compute
    assert ("Application Integration", "#E7157B") in diagram.legend()
    assert "subgraph layer_compute" in mermaid and diagram.sentences()  # layers, text kept


def test_the_fragment_draws_the_timeline_with_a_text_table(client, db):
    from django.template.loader import render_to_string

    from patterns.catalog import pattern_get
    from patterns.history_views import run_views_context

    html = render_to_string("patterns/detail.html#trace", {
        "pattern": pattern_get("rest-api"),
        **run_views_context(run=_rest_run(), pattern=pattern_get("rest-api"), run_id=7)})
    assert html.count('class="bar bar-') == 5 and 'tabindex="0"' in html
    assert 'role="tooltip"' in html and "Init Duration: 20.0 ms" in html
    assert "The timeline as a table" in html and "<caption>Each hop" in html
    assert 'id="replay-hops"' in html and "Replay on the architecture diagram" in html
    assert "What this run would cost on AWS" in html
    assert 'hx-get="/patterns/rest-api/runs/7/cost/"' in html


def test_a_queue_sns_fills_nests_under_the_topics_publish():
    fn = "fan-out-EmailFunction-O2K1L6AO2MFZ"
    run = {"steps": [{"name": "publish", "request": {}, "events": [
        {"seq": 1, "type": "api_call", "at": _at(0), "service": "sns", "operation": "Publish",
         "caller": "learner:ada", "status": 200, "duration_ms": 3.0},
        {"seq": 2, "type": "delivery", "at": _at(10), "source": "aws:sqs", "target": fn,
         "mode": "poll", "queue": "arn:aws:sqs:us-east-1:1:fan-out-EmailQueue-K3CDC3IJ4D4Y"},
        {"seq": 3, "type": "invocation", "at": _at(11), "function_name": fn,
         "cold_start": False, "duration_ms": 4.0},
    ]}]}
    assert [(b.kind, b.depth) for b in timeline_from_run(run=run).bars] == [
        ("step", 0), ("api_call", 1), ("delivery", 2), ("invocation", 3)]
