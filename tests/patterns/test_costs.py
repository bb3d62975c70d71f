"""A run's AWS bill (patterns/costs.py) against examples worked out by hand.

Prices are content/aws_numbers.yaml's (us-east-1, on demand); each test's comment is the sum.
"""

import base64
from decimal import Decimal

import pytest

from patterns.costs import cost_projection, item_size, run_cost, usd


def _run(*events) -> dict:
    return {"steps": [{"name": "one", "request": {}, "events": list(events)}]}


def _invocation(billed_ms, memory_mb, **more):
    return {"type": "invocation", "billed_duration_ms": billed_ms, "memory_size_mb": memory_mb,
            **more}


def _call(service, operation, request=None):
    return {"type": "api_call", "service": service, "operation": operation,
            "request": request or {}}


def _line(cost, service, item):
    return next(c for c in cost.charges if c.service == service and c.item == item)


def test_lambda_requests_and_gb_seconds_from_billed_duration_and_memory():
    cost = run_cost(run=_run(_invocation(65, 128), _invocation(4, 128),
                             _invocation(100, 1024)))
    # requests: 3 x $0.20 / 1,000,000 = $0.0000006
    assert _line(cost, "Lambda", "Requests").cost == Decimal("0.0000006")
    # GB-s: 0.065 s x 0.125 GB + 0.004 x 0.125 + 0.100 x 1 = 0.008125 + 0.0005 + 0.1
    #     = 0.108625 GB-s; x $0.0000166667 (108,625 x 166,667 = 18,104,202,875)
    #     = $0.0000018104202875
    duration = _line(cost, "Lambda", "Duration")
    assert duration.quantity == Decimal("0.108625")
    assert duration.cost == Decimal("0.0000018104202875")
    assert cost.total == Decimal("0.0000006") + Decimal("0.0000018104202875")
    assert usd(duration.cost) == "$0.00000181"  # three significant digits, no exponent


def test_api_gateway_rest_and_http_apis_are_priced_apart():
    cost = run_cost(run=_run({"type": "http", "resource": "/orders"},
                             {"type": "http", "resource": "/orders/{id}"},
                             {"type": "http", "resource": "POST /orders"}))
    # REST: 2 x $3.50 / 1M = $0.000007; HTTP (a route key "POST /orders"): 1 x $1.00 / 1M
    assert _line(cost, "API Gateway", "REST API requests").cost == Decimal("0.000007")
    assert _line(cost, "API Gateway", "HTTP API requests").cost == Decimal("0.000001")


def test_dynamodb_item_sizes_make_the_request_units():
    small = {"id": {"S": "abc"}, "qty": {"N": "12"}, "tags": {"L": [{"S": "a"}, {"S": "bc"}]}}
    # id: 2 + 3 = 5; qty: 3 + (2 digits: 1 byte) + 1 = 5; tags: 4 + 3 + (1+1) + (2+1) = 12
    assert item_size(small) == 22
    big = {"pk": {"S": "x" * 2000}}  # 2 + 2000 = 2002 bytes: two 1 KB write units
    cost = run_cost(run=_run(_call("dynamodb", "PutItem", {"Item": small}),
                             _call("dynamodb", "PutItem", {"Item": big}),
                             _call("dynamodb", "GetItem", {"Key": {"id": {"S": "abc"}}}),
                             _call("dynamodb", "GetItem", {"Key": {"id": {"S": "abc"}},
                                                           "ConsistentRead": True}),
                             _call("dynamodb", "DescribeTable", {"TableName": "t"})))
    # WRU: 1 + 2 = 3 x $0.625 / 1M = $0.000001875
    writes = _line(cost, "DynamoDB", "Write request units")
    assert (writes.quantity, writes.cost) == (Decimal(3), Decimal("0.000001875"))
    # RRU: 0.5 (eventually consistent) + 1 (strongly) = 1.5 x $0.125 / 1M = $0.0000001875
    reads = _line(cost, "DynamoDB", "Read request units")
    assert (reads.quantity, reads.cost) == (Decimal("1.5"), Decimal("0.0000001875"))
    assert any("item size is not in the trace" in note for note in cost.notes)


def test_sqs_requests_count_64_kb_chunks_and_the_pollers_receive_and_delete():
    queue = "http://lab/123/orders"
    cost = run_cost(run=_run(
        _call("sqs", "SendMessage", {"QueueUrl": queue, "MessageBody": "x" * 102_400}),
        {"type": "delivery", "source": "aws:sqs", "mode": "poll", "queue": "arn:...:orders",
         "event": {"Records": [{"body": "hi"}]}},
        _call("sqs", "SendMessage", {"QueueUrl": queue + ".fifo", "MessageBody": "hi"})))
    # standard: 100 KB = 102,400 bytes is 2 chunks of 64 KB; the poll: 1 receive + 1 delete
    #           = 4 requests x $0.40 / 1M = $0.0000016
    standard = _line(cost, "SQS", "Requests (standard queues)")
    assert (standard.quantity, standard.cost) == (Decimal(4), Decimal("0.0000016"))
    # FIFO: 1 x $0.50 / 1M
    assert _line(cost, "SQS", "Requests (FIFO queues)").cost == Decimal("0.0000005")


def test_step_functions_s3_sns_eventbridge_scheduler_and_firehose():
    records = [{"Data": base64.b64encode(b"a" * 100).decode()},
               {"Data": base64.b64encode(b"b" * 6000).decode()}]
    cost = run_cost(run=_run(
        {"type": "execution", "event": "ExecutionStarted"},
        *[{"type": "execution", "event": e} for e in
          ("TaskStateEntered", "ChoiceStateEntered", "PassStateEntered", "TaskStateEntered",
           "SucceedStateEntered")],
        {"type": "execution", "event": "ExecutionSucceeded"},
        _call("s3", "PutObject"), _call("s3", "ListObjectsV2"), _call("s3", "GetObject"),
        _call("s3", "DeleteObject"),
        _call("sns", "Publish", {"Message": "hello"}),
        _call("events", "PutEvents", {"Entries": [{"Detail": "{}"}, {"Detail": "{}"}]}),
        {"type": "delivery", "source": "aws:scheduler", "mode": "async"},
        _call("firehose", "PutRecordBatch", {"Records": records})))
    # 5 states entered x $0.025 / 1,000 = $0.000125 (ExecutionStarted is no transition)
    assert _line(cost, "Step Functions", "State transitions").cost == Decimal("0.000125")
    # S3: PUT + LIST = 2 x $0.005 / 1,000 = $0.00001; GET 1 x $0.0004 / 1,000; DELETE free
    assert _line(cost, "S3", "PUT, COPY, POST, LIST requests").cost == Decimal("0.00001")
    assert _line(cost, "S3", "GET and other requests").cost == Decimal("0.0000004")
    assert _line(cost, "SNS", "Requests").cost == Decimal("0.0000005")  # 1 x $0.50 / 1M
    assert _line(cost, "EventBridge", "Custom events").cost == Decimal("0.000002")  # 2 x $1/1M
    assert _line(cost, "EventBridge", "Scheduler invocations").cost == Decimal("0.000001")
    # Firehose: 100 B -> 5 KB, 6,000 B -> 10 KB: 15,360 B = 15/2^20 GB
    #           = 0.00001430511474609375 GB x $0.029 = $0.00000041484832763671875
    assert _line(cost, "Data Firehose", "Ingestion").cost == Decimal(
        "0.00000041484832763671875")


def test_a_month_of_runs_before_and_after_the_free_tier():
    cost = run_cost(run=_run(
        _invocation(65, 128), _invocation(4, 128), _invocation(100, 1024),
        _call("sqs", "SendMessage", {"QueueUrl": "q", "MessageBody": "x" * 102_400}),
        _call("sqs", "SendMessage", {"QueueUrl": "q", "MessageBody": "x"}),
        _call("sqs", "SendMessage", {"QueueUrl": "q.fifo", "MessageBody": "x"}),
        _call("dynamodb", "PutItem", {"Item": {"pk": {"S": "x" * 2000}}})))
    month = cost_projection(cost=cost, runs_per_day=10_000)
    lines = {(p.charge.service, p.charge.item): p for p in month.lines}
    # 10,000 a day x 30 days = 300,000 runs
    # Lambda requests: 3 x 300,000 = 900,000, all in the free million: $0.18 before, $0 after
    requests = lines["Lambda", "Requests"]
    assert (requests.quantity, requests.before, requests.after) == (
        Decimal(900_000), Decimal("0.18"), Decimal(0))
    # GB-s: 0.108625 x 300,000 = 32,587.5, under the free 400,000:
    #       before 32,587.5 x $0.0000166667 = $0.54312608625, after $0
    duration = lines["Lambda", "Duration"]
    assert (duration.before, duration.after) == (Decimal("0.54312608625"), Decimal(0))
    # SQS: 3 standard a run (2 chunks + 1) = 900,000 and 1 FIFO = 300,000 share the free
    #      million: standard all free (900,000), the FIFO's first 100,000 free,
    #      200,000 left x $0.50 / 1M = $0.10
    assert lines["SQS", "Requests (standard queues)"].after == Decimal(0)
    fifo = lines["SQS", "Requests (FIFO queues)"]
    assert (fifo.free, fifo.after) == (Decimal(100_000), Decimal("0.10"))
    # DynamoDB has no free request units: 2 WRU x 300,000 = 600,000 x $0.625 / 1M = $0.375
    assert lines["DynamoDB", "Write request units"].after == Decimal("0.375")
    assert month.after == Decimal("0.10") + Decimal("0.375")
    assert usd(month.after) == "$0.475"
    # before: Lambda 0.18 + 0.54312608625, SQS 900,000 x $0.40 / 1M = 0.36 and
    #         300,000 x $0.50 / 1M = 0.15, DynamoDB 0.375: $1.60812608625
    assert month.before == Decimal("1.60812608625") and usd(month.before) == "$1.61"


def test_a_projection_refuses_a_negative_number_of_runs():
    with pytest.raises(ValueError, match="between 0 and"):
        cost_projection(cost=run_cost(run=_run(_invocation(1, 128))), runs_per_day=-1)


def test_a_run_with_nothing_billable_costs_nothing():
    cost = run_cost(run={"steps": [{"events": [_call("sts", "GetCallerIdentity")]}]})
    assert cost.charges == [] and cost.total == 0 and usd(cost.total) == "$0.00"


def test_every_price_names_its_source_and_date():
    cost = run_cost(run=_run(_invocation(1, 128), {"type": "http", "resource": "/"}))
    for charge in cost.charges:
        assert charge.source.startswith("https://aws.amazon.com/") and charge.as_of
