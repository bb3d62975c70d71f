"""EventBridge in the learner's account (eventbridge/plane.py) and the lab clock
(eventbridge/schedules.py).

Pure parts first (event patterns, cron and rate, input transformers), then the lab cloud:
the SAM folder tests/cloud/functions/eventbridge has a function that keeps every event it is
given in a table, and a queue. Rules and schedules are made with the learner's credentials, as
their own code would make them; each test asserts what AWS would leave behind and the trace.
"""

import base64
import json
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from botocore.exceptions import ClientError

from serverless_lab.cloud.clock import ClockError, duration_seconds
from serverless_lab.cloud.eventbridge import schedule_expressions
from serverless_lab.cloud.eventbridge import target_input as event_input
from serverless_lab.cloud.eventbridge.patterns import PatternError, pattern_check, pattern_matches
from serverless_lab.cloud.eventbridge.schedule_expressions import (
    InvalidExpression,
    occurrences,
    parse,
)
from tests.conftest import trace_mark, wait_until

EVENT = {"version": "0", "id": "7bf73129-1428-4cd3-a780-95db273d1602",
         "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
         "account": "123456789012", "time": "2015-11-11T21:29:54Z", "region": "us-east-1",
         "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111"],
         "detail": {"instance-id": "i-0123456789", "state": "RUNNING", "count": 5,
                    "flag": True, "nothing": None, "ip": "10.0.0.7", "tags": ["prod", "web"],
                    "items": [{"sku": "a", "qty": 1}, {"sku": "b", "qty": 3}]}}


def epoch(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


# -- event patterns --------------------------------------------------------------------------

@pytest.mark.parametrize(("pattern", "matches"), [
    ({"source": ["aws.ec2"]}, True),
    ({"source": ["aws.s3", "aws.ec2"]}, True),
    ({"source": ["aws.s3"]}, False),
    ({"detail": {"state": [{"prefix": "RUN"}]}}, True),
    ({"detail": {"state": [{"prefix": "run"}]}}, False),
    ({"detail": {"state": [{"prefix": {"equals-ignore-case": "run"}}]}}, True),
    ({"detail": {"instance-id": [{"suffix": "789"}]}}, True),
    ({"detail": {"instance-id": [{"suffix": {"equals-ignore-case": "I-0123456789"}}]}}, True),
    ({"detail": {"state": [{"equals-ignore-case": "running"}]}}, True),
    ({"detail": {"state": [{"anything-but": "STOPPED"}]}}, True),
    ({"detail": {"state": [{"anything-but": ["RUNNING", "STOPPED"]}]}}, False),
    ({"detail": {"state": [{"anything-but": {"prefix": "RUN"}}]}}, False),
    ({"detail": {"count": [{"anything-but": [1, 2]}]}}, True),
    ({"detail": {"count": [{"numeric": [">", 0, "<=", 5]}]}}, True),
    ({"detail": {"count": [{"numeric": ["<", 5]}]}}, False),
    ({"detail": {"count": [5.0]}}, True),  # numbers match by value
    ({"detail": {"count": ["5"]}}, False),  # a string is not a number
    ({"detail": {"flag": [True]}}, True),
    ({"detail": {"flag": [1]}}, False),  # true is not the number 1
    ({"detail": {"nothing": [None]}}, True),
    ({"detail": {"state": [{"exists": True}]}}, True),
    ({"detail": {"missing": [{"exists": False}]}}, True),
    ({"detail": {"state": [{"exists": False}]}}, False),
    ({"detail": {"items": [{"exists": True}]}}, False),  # exists sees leaves only
    ({"detail": {"instance-id": [{"wildcard": "i-*89"}]}}, True),
    ({"detail": {"instance-id": [{"wildcard": "i-*0"}]}}, False),
    ({"detail": {"ip": [{"cidr": "10.0.0.0/24"}]}}, True),
    ({"detail": {"tags": ["web"]}}, True),  # any element of an array
    ({"detail": {"items": {"sku": ["b"], "qty": [3]}}}, True),
    ({"detail": {"items": {"sku": ["a"], "qty": [3]}}}, False),  # one element must match all
    ({"$or": [{"source": ["aws.s3"]}, {"detail": {"count": [{"numeric": [">=", 5]}]}}]}, True),
    ({"source": ["aws.ec2"], "$or": [{"detail-type": ["x"]}, {"detail": {"state": ["x"]}}]},
     False),
])
def test_event_pattern_matching_follows_aws(pattern, matches):
    pattern_check(json.dumps(pattern))  # every pattern here is one AWS accepts
    assert pattern_matches(pattern, EVENT) is matches


@pytest.mark.parametrize(("pattern", "reason"), [
    ('{"source": "aws.ec2"}', '"source" must be an object or an array'),
    ('{"source": []}', "Empty arrays are not allowed"),
    ('{"detail": {}}', "Empty objects are not allowed"),
    ('["aws.ec2"]', "Filter is not an object"),
    ('{"source": [{"regex": "a.*"}]}', "Unrecognized match type regex"),
    ('{"source": [{"prefix": 5}]}', "prefix match pattern must be a string"),
    ('{"n": [{"numeric": [">", 5, "<", 1]}]}', "Bottom must be less than top"),
    ('{"n": [{"numeric": ["!", 5]}]}', "Unrecognized numeric range operator: !"),
    ('{"s": [{"anything-but": ["a", 1]}]}', "Inside anything but list, either all values are "
                                             "number or string, mixed type is not supported"),
    ('{"s": [{"exists": "yes"}]}', "exists match pattern must be either true or false."),
    ('{"s": [{"wildcard": "a**"}]}', "Consecutive wildcard characters at pos 2"),
    ('{"$or": [{"s": ["a"]}]}', "There must have at least 2 Objects in $or relationship."),
    ('{"source": ["aws.ec2"]', "Unexpected end-of-input: expected close marker for Object"),
])
def test_malformed_patterns_get_aws_reasons(pattern, reason):
    with pytest.raises(PatternError) as refused:
        pattern_check(pattern)
    assert str(refused.value).startswith(reason + "\n at [Source: (String)")


def test_pattern_reason_says_where_the_parser_stood():
    with pytest.raises(PatternError) as refused:
        pattern_check('{"source": ["aws.health"], "detail": {}}')
    assert str(refused.value).endswith('; line: 1, column: 40]')  # as AWS reports it


# -- cron, rate and at() ----------------------------------------------------------------------

@pytest.mark.parametrize(("expression", "after", "until", "expected"), [
    ("cron(0 2 * * ? *)", "2026-03-01T00:00:00", "2026-03-04T00:00:00",
     ["2026-03-01T02:00:00", "2026-03-02T02:00:00", "2026-03-03T02:00:00"]),
    ("cron(0 18 ? * MON-FRI *)", "2026-03-06T00:00:00", "2026-03-10T00:00:00",  # Fri..Mon
     ["2026-03-06T18:00:00", "2026-03-09T18:00:00"]),
    ("cron(0 9 ? * 2 *)", "2026-03-01T00:00:00", "2026-03-09T23:00:00",  # 2 is Monday
     ["2026-03-02T09:00:00", "2026-03-09T09:00:00"]),
    ("cron(0/15 10 1 * ? *)", "2026-03-01T00:00:00", "2026-03-02T00:00:00",
     ["2026-03-01T10:00:00", "2026-03-01T10:15:00", "2026-03-01T10:30:00",
      "2026-03-01T10:45:00"]),
    ("cron(0 0 L * ? *)", "2026-01-15T00:00:00", "2026-03-15T00:00:00",  # last day of month
     ["2026-01-31T00:00:00", "2026-02-28T00:00:00"]),
    ("cron(0 0 1W * ? *)", "2026-02-01T00:00:00", "2026-03-31T00:00:00",  # 1 Feb is a Sunday
     ["2026-02-02T00:00:00", "2026-03-02T00:00:00"]),  # 1 Mar too: Monday 2nd, same month
    ("cron(0 0 LW * ? *)", "2026-05-01T00:00:00", "2026-06-01T00:00:00",  # 31 May: Sunday
     ["2026-05-29T00:00:00"]),
    ("cron(0 12 ? * 3#2 *)", "2026-03-01T00:00:00", "2026-04-30T00:00:00",  # 2nd Tuesday
     ["2026-03-10T12:00:00", "2026-04-14T12:00:00"]),
    ("cron(0 12 ? * 6L *)", "2026-03-01T00:00:00", "2026-04-30T00:00:00",  # last Friday
     ["2026-03-27T12:00:00", "2026-04-24T12:00:00"]),
    ("cron(0 8 1 JAN,JUL ? 2026-2027)", "2026-01-01T00:00:00", "2028-12-31T00:00:00",
     ["2026-01-01T08:00:00", "2026-07-01T08:00:00", "2027-01-01T08:00:00",
      "2027-07-01T08:00:00"]),
])
def test_aws_cron_occurrences(expression, after, until, expected):
    times = occurrences(parse(expression), after=epoch(after), until=epoch(until), anchor=0)
    assert [schedule_expressions.iso(t)[:-1] for t in times] == expected


def test_rate_fires_every_period_after_the_rule_is_created():
    created = epoch("2026-03-01T10:20:00")
    times = occurrences(parse("rate(1 hour)"), after=created, until=created + 86400,
                        anchor=created)
    assert len(times) == 24
    assert times[0] == created + 3600 and times[-1] == created + 86400


@pytest.mark.parametrize("expression", [
    "cron(0 2 * * * *)",  # * in both day fields
    "cron(0 2 ? * ? *)",  # ? in both
    "cron(0 2 * * ?)",  # five fields
    "cron(60 2 * * ? *)", "cron(0 24 * * ? *)", "cron(0 2 32 * ? *)", "cron(0 2 ? * 8 *)",
    "cron(0 2 * * ? 1969)", "cron(0 2 ? * 3#1,6#3 *)", "cron(0/0 2 * * ? *)",
    "rate(1 hours)", "rate(5 hour)", "rate(0 minutes)", "rate(5 seconds)", "rate(5)",
    "at(2026-03-01T10:00:00)",  # rules have no one-time schedules
    "every day",
])
def test_invalid_rule_expressions_are_refused(expression):
    with pytest.raises(InvalidExpression):
        parse(expression)


def test_scheduler_reads_cron_in_its_time_zone_across_daylight_saving():
    new_york = schedule_expressions.time_zone("America/New_York")
    # 02:30 does not exist on 8 March 2026 (clocks spring forward): that night is skipped.
    spring = occurrences(parse("cron(30 2 * * ? *)", scheduler=True), zone=new_york,
                         after=epoch("2026-03-07T00:00:00"), until=epoch("2026-03-10T00:00:00"),
                         anchor=0)
    assert [schedule_expressions.iso(t) for t in spring] == [
        "2026-03-07T07:30:00Z", "2026-03-09T06:30:00Z"]
    # 01:30 happens twice on 1 November 2026 (clocks fall back): it fires once.
    autumn = occurrences(parse("cron(30 1 * * ? *)", scheduler=True), zone=new_york,
                         after=epoch("2026-11-01T00:00:00"), until=epoch("2026-11-02T00:00:00"),
                         anchor=0)
    assert [schedule_expressions.iso(t) for t in autumn] == ["2026-11-01T05:30:00Z"]


@pytest.mark.parametrize(("text", "seconds"), [("24h", 86400), ("1h30m", 5400), ("3d", 259200),
                                               ("90s", 90), ("2w", 1209600), ("45", 45)])
def test_clock_durations(text, seconds):
    assert duration_seconds(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "-1h", "0s", "500d", "1h and a bit"])
def test_bad_clock_durations_are_refused(text):
    with pytest.raises(ClockError):
        duration_seconds(text)


# -- target input ------------------------------------------------------------------------------

def transformed(template: str, paths: dict) -> str:
    return event_input.target_input(
        {"InputTransformer": {"InputPathsMap": paths, "InputTemplate": template}}, EVENT,
        rule_arn="arn:aws:events:us-east-1:123456789012:rule/example", rule_name="example",
        ingestion_time="2015-11-11T21:29:55Z")


PATHS = {"instance": "$.detail.instance-id", "state": "$.detail.state",
         "count": "$.detail.count"}


@pytest.mark.parametrize(("template", "output"), [  # the examples of AWS's documentation
    ('"instance <instance> is in <state>"', '"instance i-0123456789 is in RUNNING"'),
    ('{"instance": <instance>, "state": <state>}',
     '{"instance":"i-0123456789","state":"RUNNING"}'),
    ('{"instance": <instance>, "state": [9, <state>, true], "Transformed": "Yes"}',
     '{"instance":"i-0123456789","state":[9,"RUNNING",true],"Transformed":"Yes"}'),
    ('{"status": "instance \\"<instance>\\" is in <state>", "n": <count>}',
     '{"status":"instance \\"i-0123456789\\" is in RUNNING","n":5}'),
    ('"<aws.events.rule-name> triggered"', '"example triggered"'),
    ('{"rule": <aws.events.rule-arn>, "missing": <gone>, "text": "<gone>"}',
     '{"rule":"arn:aws:events:us-east-1:123456789012:rule/example","missing":null,"text":""}'),
])
def test_input_transformer(template, output):
    assert transformed(template, {**PATHS, "gone": "$.detail.nope"}) == output


def test_input_transformer_predefined_event_variables():
    out = json.loads(transformed('{"original": <aws.events.event>, '
                                 '"whole": <aws.events.event.json>}', {}))
    assert out["whole"] == EVENT
    assert "detail" not in out["original"] and out["original"]["id"] == EVENT["id"]


def test_input_and_input_path():
    common = {"rule_arn": "arn", "rule_name": "r", "ingestion_time": "t"}
    assert event_input.target_input({"Input": '{"fixed": 1}'}, EVENT, **common) == '{"fixed": 1}'
    assert json.loads(event_input.target_input({"InputPath": "$.detail.tags"}, EVENT,
                                               **common)) == ["prod", "web"]
    assert json.loads(event_input.target_input({}, EVENT, **common)) == EVENT


# -- in the lab cloud --------------------------------------------------------------------------

def events_may(arn: str, action: str, account: str) -> dict:
    """A resource policy that lets the account's EventBridge rules call `action` on `arn`."""
    return {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": action,
        "Resource": arn, "Condition": {"ArnLike": {
            "aws:SourceArn": f"arn:aws:events:us-east-1:{account}:rule/*"}}}]}


@pytest.fixture
def bridge(deploy, sandbox, lab, learner):
    deployment = deploy("eventbridge")
    resources = deployment["resources"]
    account = sandbox.account_id

    class Bridge:
        events = sandbox.client("events")
        sqs = sandbox.client("sqs")
        queue_url = resources["Inbox"]["physical_id"]
        queue_arn = f"arn:aws:sqs:us-east-1:{account}:{queue_url.rsplit('/', 1)[-1]}"
        function_arn = (f"arn:aws:lambda:us-east-1:{account}:function:"
                        f"{deployment['functions']['Recorder']}")
        mark = trace_mark(lab, learner)

        @staticmethod
        def received() -> list[dict]:
            """Events the function was given, oldest first."""
            items = sandbox.client("dynamodb").scan(
                TableName=resources["Received"]["physical_id"])["Items"]
            events = [json.loads(i["event"]["S"]) for i in items]
            return sorted(events, key=lambda e: (e.get("time", ""), e.get("id", "")))

        @classmethod
        def settle(cls, timeout: float = 20.0) -> list[dict]:
            """Wait until the sandbox is quiet; the trace since the fixture was made."""
            deadline = time.monotonic() + timeout
            while True:
                page = lab.trace(learner, since=cls.mark)
                if page["quiet"]:
                    return page["events"]
                # A deadline fails the test: "nothing was delivered" must not pass just
                # because the sandbox never went quiet.
                assert time.monotonic() < deadline, "the sandbox did not quiet down"
                time.sleep(0.05)

        @classmethod
        def deliveries(cls, **where) -> list[dict]:
            return [e for e in cls.settle() if e["type"] == "delivery"
                    and e["source"] in ("aws:events", "aws:scheduler")
                    and all(e.get(k) == v for k, v in where.items())]

        @classmethod
        def trace_deliveries(cls) -> list[dict]:
            """EventBridge's deliveries so far, without waiting for the sandbox to quiet."""
            return [e for e in lab.trace(learner, since=cls.mark)["events"]
                    if e["type"] == "delivery" and e["source"] == "aws:events"]

        @staticmethod
        def queue(name: str, *, events_may_send: bool = True) -> tuple[str, str]:
            """A queue (URL, ARN) whose policy lets the account's rules send to it, or not."""
            url = Bridge.sqs.create_queue(QueueName=name)["QueueUrl"]
            arn = f"arn:aws:sqs:us-east-1:{account}:{name}"
            if events_may_send:
                Bridge.sqs.set_queue_attributes(QueueUrl=url, Attributes={
                    "Policy": json.dumps(events_may(arn, "sqs:SendMessage", account))})
            return url, arn

        @staticmethod
        def dead_letters(url: str) -> list[dict]:
            messages = Bridge.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                                  MessageAttributeNames=["All"])
            return [{"body": json.loads(m["Body"]),
                     "attributes": {k: v["StringValue"]
                                    for k, v in m.get("MessageAttributes", {}).items()}}
                    for m in messages.get("Messages", [])]

        @classmethod
        def messages(cls) -> list[str]:
            bodies = []
            while batch := cls.sqs.receive_message(QueueUrl=cls.queue_url,
                                                   MaxNumberOfMessages=10).get("Messages"):
                bodies += [m["Body"] for m in batch]
                cls.sqs.delete_message_batch(QueueUrl=cls.queue_url, Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                    for n, m in enumerate(batch)])
            return bodies

    return Bridge


def test_lambda_target_gets_the_event_document_as_aws_sends_it(bridge, sandbox):
    bridge.events.put_rule(Name="big-orders", EventPattern=json.dumps(
        {"source": ["shop"], "detail": {"total": [{"numeric": [">", 10]}]}}))
    bridge.events.put_targets(Rule="big-orders", Targets=[{"Id": "fn",
                                                          "Arn": bridge.function_arn}])
    answer = bridge.events.put_events(Entries=[
        {"Source": "shop", "DetailType": "Order Placed", "Detail": '{"total": 42}',
         "Resources": ["arn:aws:shop:order/1"]},
        {"Source": "shop", "DetailType": "Order Placed", "Detail": '{"total": 5}'},
        {"Source": "other", "DetailType": "Order Placed", "Detail": '{"total": 99}'}])
    assert answer["FailedEntryCount"] == 0
    [delivery] = bridge.deliveries()
    [event] = bridge.received()
    assert list(event) == ["version", "id", "detail-type", "source", "account", "time",
                           "region", "resources", "detail"]
    assert event["id"] == answer["Entries"][0]["EventId"]
    assert (event["source"], event["detail-type"], event["detail"]) == (
        "shop", "Order Placed", {"total": 42})
    assert (event["account"], event["region"]) == (sandbox.account_id, "us-east-1")
    assert event["resources"] == ["arn:aws:shop:order/1"]
    assert datetime.strptime(event["time"], "%Y-%m-%dT%H:%M:%SZ")
    assert delivery["rule"] == "big-orders" and delivery["mode"] == "async"
    assert delivery["target_arn"] == bridge.function_arn and delivery["error"] is None
    assert delivery["event"] == event


def test_put_events_answers_before_the_target_runs(bridge, lab, learner, gate):
    bridge.events.put_rule(Name="slow", EventPattern='{"detail-type": ["Slow"]}')
    bridge.events.put_targets(Rule="slow", Targets=[{"Id": "fn", "Arn": bridge.function_arn}])
    # The function waits at the gate until the test opens it: a PutEvents that waited for
    # its targets could not have answered yet.
    bridge.events.put_events(Entries=[{"Source": "t", "DetailType": "Slow",
                                       "Detail": json.dumps({"gate": gate.spec()})}])
    assert bridge.received() == []  # PutEvents has answered; the function has not finished
    assert lab.trace(learner, since=bridge.mark)["quiet"] is False  # a delivery is in flight
    gate.open()
    bridge.settle()
    assert [e["detail-type"] for e in bridge.received()] == ["Slow"]


def test_sqs_target_with_input_transformer_and_custom_bus(bridge):
    bridge.events.create_event_bus(Name="orders")
    bridge.events.put_rule(Name="to-queue", EventBusName="orders", EventPattern=json.dumps(
        {"detail": {"status": [{"anything-but": "test"}]}}))
    bridge.events.put_targets(Rule="to-queue", EventBusName="orders", Targets=[{
        "Id": "q", "Arn": bridge.queue_arn, "InputTransformer": {
            "InputPathsMap": {"order": "$.detail.id", "status": "$.detail.status"},
            "InputTemplate": '{"order": <order>, "text": "order <order> is <status>", '
                             '"rule": <aws.events.rule-name>}'}}])
    bridge.events.put_events(Entries=[
        {"EventBusName": "orders", "Source": "shop", "DetailType": "Changed",
         "Detail": '{"id": "o-1", "status": "shipped"}'},
        {"EventBusName": "orders", "Source": "shop", "DetailType": "Changed",
         "Detail": '{"id": "o-2", "status": "test"}'},
        {"Source": "shop", "DetailType": "Changed",  # the default bus: no rule there
         "Detail": '{"id": "o-3", "status": "shipped"}'}])
    [delivery] = bridge.deliveries(rule="to-queue")
    assert delivery["event_bus"] == "orders" and delivery["message_id"]
    assert [json.loads(b) for b in bridge.messages()] == [
        {"order": "o-1", "text": "order o-1 is shipped", "rule": "to-queue"}]


def test_sns_and_step_functions_targets(bridge, sandbox):
    sns = sandbox.client("sns")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps(
        events_may(topic, "sns:Publish", sandbox.account_id)))  # the console adds this for you
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=bridge.queue_arn,
                  Attributes={"RawMessageDelivery": "true"})
    machine = sandbox.client("stepfunctions").create_state_machine(
        name="on-alert", roleArn=f"arn:aws:iam::{sandbox.account_id}:role/sfn",
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass",
                                                                      "End": True}}}))
    bridge.events.put_rule(Name="alerts", EventPattern='{"source": ["monitor"]}')
    bridge.events.put_targets(Rule="alerts", Targets=[
        {"Id": "topic", "Arn": topic, "InputPath": "$.detail"},
        {"Id": "workflow", "Arn": machine["stateMachineArn"]}])
    bridge.events.put_events(Entries=[{"Source": "monitor", "DetailType": "Alarm",
                                       "Detail": '{"level": "high"}'}])
    deliveries = {d["target"]: d for d in bridge.deliveries(rule="alerts")}
    assert set(deliveries) == {"alerts", "on-alert"}
    assert all(d["error"] is None for d in deliveries.values())
    assert [json.loads(b) for b in bridge.messages()] == [{"level": "high"}]
    executions = sandbox.client("stepfunctions").list_executions(
        stateMachineArn=machine["stateMachineArn"])["executions"]
    assert [e["executionArn"] for e in executions] == [deliveries["on-alert"]["execution_arn"]]
    started = sandbox.client("stepfunctions").describe_execution(
        executionArn=executions[0]["executionArn"])
    assert json.loads(started["input"])["detail"] == {"level": "high"}


def test_malformed_pattern_is_refused_and_changes_nothing(bridge):
    bridge.events.put_rule(Name="kept", EventPattern='{"source": ["shop"]}')
    for bad in ('{"source": "shop"}', '{"source": [{"prefix": 1}]}', "not json"):
        with pytest.raises(ClientError) as refused:
            bridge.events.put_rule(Name="kept", EventPattern=bad)
        error = refused.value.response["Error"]
        assert error["Code"] == "InvalidEventPatternException"
        assert error["Message"].startswith("Event pattern is not valid. Reason: ")
        with pytest.raises(ClientError):
            bridge.events.put_rule(Name="new-rule", EventPattern=bad)
    rules = bridge.events.list_rules()["Rules"]
    assert [(r["Name"], r["EventPattern"]) for r in rules] == [("kept", '{"source": ["shop"]}')]


@pytest.mark.parametrize("expression", ["cron(0 2 * * * *)", "rate(1 hours)", "cron(0 2 * *)"])
def test_invalid_schedule_expression_is_refused_and_changes_nothing(bridge, lab, learner,
                                                                   expression):
    with pytest.raises(ClientError) as refused:
        bridge.events.put_rule(Name="nightly", ScheduleExpression=expression)
    assert refused.value.response["Error"] == {"Code": "ValidationException",
                                               "Message": "Parameter ScheduleExpression is "
                                                          "not valid."}
    assert bridge.events.list_rules()["Rules"] == []
    assert lab.clock(learner)["schedules"] == []


def test_cron_rule_fires_once_per_day_advanced_with_aws_scheduled_event(bridge, lab, learner,
                                                                       sandbox):
    rule_arn = bridge.events.put_rule(Name="nightly",
                                      ScheduleExpression="cron(0 2 * * ? *)")["RuleArn"]
    bridge.events.put_targets(Rule="nightly", Targets=[{"Id": "fn", "Arn": bridge.function_arn}])
    before = lab.clock(learner)
    [listed] = before["schedules"]
    assert listed["next"].endswith("T02:00:00Z")
    first = lab.clock(learner, advance="24h")
    assert [f["time"] for f in first["fired"]] == [listed["next"]]
    more = lab.clock(learner, advance="48h")
    assert len(more["fired"]) == 2
    assert more["offset_seconds"] == pytest.approx(72 * 3600)
    received = bridge.received()
    assert [e["time"] for e in received] == [f["time"] for f in first["fired"] + more["fired"]]
    assert received[0] == {"version": "0", "id": received[0]["id"],
                           "detail-type": "Scheduled Event", "source": "aws.events",
                           "account": sandbox.account_id, "time": listed["next"],
                           "region": "us-east-1", "resources": [rule_arn], "detail": {}}
    deliveries = bridge.deliveries(rule="nightly")
    assert [d["scheduled_time"] for d in deliveries] == [e["time"] for e in received]


def test_rate_rule_fires_every_hour_in_order(bridge, lab, learner):
    bridge.events.put_rule(Name="hourly", ScheduleExpression="rate(1 hour)")
    bridge.events.put_targets(Rule="hourly", Targets=[{
        "Id": "q", "Arn": bridge.queue_arn,
        "InputTransformer": {"InputPathsMap": {"at": "$.time"},
                             "InputTemplate": '{"at": <at>}'}}])
    fired = lab.clock(learner, advance="24h")["fired"]
    assert len(fired) == 24
    times = [f["time"] for f in fired]
    assert times == sorted(times)
    assert sorted(json.loads(b)["at"] for b in bridge.messages()) == times


def test_skipped_time_ages_idle_environments_as_real_time_would(bridge, lab, learner, sandbox):
    """A fast-forward is time passing: an environment idle through more than the idle time
    (10 minutes) is gone, so a nightly job starts cold every night, as on AWS; one every
    5 minutes finds its environment warm."""
    bridge.events.put_rule(Name="often", ScheduleExpression="rate(5 minutes)")
    bridge.events.put_targets(Rule="often", Targets=[{"Id": "fn", "Arn": bridge.function_arn}])
    assert len(lab.clock(learner, advance="16m")["fired"]) == 3
    bridge.events.disable_rule(Name="often")
    bridge.events.put_rule(Name="nightly", ScheduleExpression="cron(0 2 * * ? *)")
    bridge.events.put_targets(Rule="nightly", Targets=[{"Id": "fn", "Arn": bridge.function_arn}])
    assert len(lab.clock(learner, advance="48h")["fired"]) == 2
    invocations = [e for e in bridge.settle() if e["type"] == "invocation"]
    assert [e["cold_start"] for e in invocations] == [True, False, False, True, True]
    assert len(bridge.received()) == 5

    bridge.events.disable_rule(Name="nightly")
    lambda_ = sandbox.client("lambda")
    # Cold after more than the idle time. (Not "the advance went on for hours after the last
    # night's run": that depends on the real time of day the test starts; just after 01:44
    # UTC the 48 h advance ends minutes after 02:00.)
    lab.clock(learner, advance="11m")
    lambda_.invoke(FunctionName=bridge.function_arn, Payload=b'{"id": "now"}')
    lab.clock(learner, advance="9m")  # within the idle time: still warm
    lambda_.invoke(FunctionName=bridge.function_arn, Payload=b'{"id": "soon"}')
    lab.clock(learner, advance="11m")
    lambda_.invoke(FunctionName=bridge.function_arn, Payload=b'{"id": "later"}')
    invocations = [e for e in bridge.settle() if e["type"] == "invocation"]
    assert [e["cold_start"] for e in invocations[5:]] == [True, False, True]


def test_disabled_and_deleted_rules_do_not_fire(bridge, lab, learner):
    bridge.events.put_rule(Name="off", ScheduleExpression="rate(1 hour)", State="DISABLED")
    bridge.events.put_rule(Name="gone", ScheduleExpression="rate(1 hour)")
    bridge.events.delete_rule(Name="gone")
    assert lab.clock(learner, advance="3h")["fired"] == []
    bridge.events.enable_rule(Name="off")
    assert [f["name"] for f in lab.clock(learner, advance="1h")["fired"]] == ["off"]
    assert bridge.deliveries() == []  # "off" has no target: firing delivers nothing


def test_scheduler_schedule_in_a_time_zone(bridge, lab, learner, sandbox):
    scheduler = sandbox.client("scheduler")
    arn = scheduler.create_schedule(
        Name="morning-report", ScheduleExpression="cron(0 9 * * ? *)",
        ScheduleExpressionTimezone="America/New_York", FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": bridge.queue_arn, "RoleArn": f"arn:aws:iam::{sandbox.account_id}:role/s",
                "Input": '{"at": "<aws.scheduler.scheduled-time>", '
                         '"schedule": "<aws.scheduler.schedule-arn>"}'})["ScheduleArn"]
    fired = lab.clock(learner, advance="48h")["fired"]
    assert len(fired) == 2
    for firing in fired:  # 09:00 in New York is 13:00 or 14:00 UTC, with daylight saving
        local = datetime.fromisoformat(firing["time"].replace("Z", "+00:00")).astimezone(
            schedule_expressions.time_zone("America/New_York"))
        assert (local.hour, local.minute) == (9, 0)
    assert sorted(json.loads(b)["at"] for b in bridge.messages()) == [f["time"] for f in fired]
    deliveries = bridge.deliveries(source="aws:scheduler")
    assert [d["schedule"] for d in deliveries] == ["default/morning-report"] * 2
    assert deliveries[0]["event"]["schedule"] == arn


def test_scheduler_refuses_invalid_expressions_and_zones(bridge, sandbox, lab, learner):
    scheduler = sandbox.client("scheduler")
    target = {"Arn": bridge.queue_arn, "RoleArn": f"arn:aws:iam::{sandbox.account_id}:role/s"}
    with pytest.raises(ClientError) as refused:
        scheduler.create_schedule(Name="bad", ScheduleExpression="cron(0 9 * * * *)",
                                  FlexibleTimeWindow={"Mode": "OFF"}, Target=target)
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert refused.value.response["Error"]["Message"] == (
        "Invalid Schedule Expression cron(0 9 * * * *).")
    with pytest.raises(ClientError):
        scheduler.create_schedule(Name="bad", ScheduleExpression="rate(5 minutes)",
                                  ScheduleExpressionTimezone="Mars/Olympus",
                                  FlexibleTimeWindow={"Mode": "OFF"}, Target=target)
    assert scheduler.list_schedules()["Schedules"] == []
    assert lab.clock(learner)["schedules"] == []


def test_one_time_schedule_fires_once_and_deletes_itself(bridge, sandbox, lab, learner):
    scheduler = sandbox.client("scheduler")
    now = lab.clock(learner)["now"]
    at = datetime.fromtimestamp(now + 7200, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    scheduler.create_schedule(
        Name="once", ScheduleExpression=f"at({at})", FlexibleTimeWindow={"Mode": "OFF"},
        ActionAfterCompletion="DELETE",
        Target={"Arn": bridge.function_arn, "RoleArn": f"arn:aws:iam::{sandbox.account_id}:role/s",
                "Input": '{"detail": {"reminder": "pay the invoice"}}'})
    assert lab.clock(learner, advance="1h")["fired"] == []
    [fired] = lab.clock(learner, advance="2h")["fired"]
    assert fired["time"] == at + "Z"
    assert [e["detail"] for e in bridge.received()] == [{"reminder": "pay the invoice"}]
    assert scheduler.list_schedules()["Schedules"] == []


def test_reset_puts_the_clock_back_to_real_time(bridge, lab, learner):
    bridge.events.put_rule(Name="hourly", ScheduleExpression="rate(1 hour)")
    lab.clock(learner, advance="5h")
    assert lab.clock(learner)["offset_seconds"] == pytest.approx(5 * 3600)
    lab.reset(learner)
    after = lab.clock(learner)
    assert after["offset_seconds"] == 0 and after["schedules"] == []


def test_a_target_in_another_account_is_not_delivered(bridge, lab):
    other = lab.sandbox("t-eventbridge-someone-else")["account_id"]
    foreign = f"arn:aws:sqs:us-east-1:{other}:their-queue"
    bridge.events.put_rule(Name="leak", EventPattern='{"source": ["shop"]}')
    bridge.events.put_targets(Rule="leak", Targets=[{"Id": "q", "Arn": foreign}])
    bridge.events.put_events(Entries=[{"Source": "shop", "DetailType": "x", "Detail": "{}"}])
    [delivery] = bridge.deliveries(rule="leak")
    assert "another account" in delivery["error"]


def test_advance_is_refused_when_it_would_fire_too_much(bridge, lab, learner):
    from serverless_lab.cloud.client import LabCloudError

    bridge.events.put_rule(Name="busy", ScheduleExpression="rate(1 minute)")
    with pytest.raises(LabCloudError, match="at most 10000 per advance"):
        lab.clock(learner, advance="10d")
    assert lab.clock(learner)["offset_seconds"] == 0  # nothing moved, nothing fired


def test_a_second_lab_cloud_hands_the_hooks_back_when_it_stops(lab_cloud):
    # A benchmark or a CLI command may start (and stop) a lab cloud of its own in the process.
    from serverless_lab.cloud.clock import LabClock
    from serverless_lab.cloud.eventbridge import moto_patch
    from serverless_lab.cloud.eventbridge.plane import EventPlane

    other = EventPlane(recorder=lab_cloud.recorder, invoke_async=None, clock=LabClock())
    moto_patch.install(other)
    assert moto_patch._plane() is other
    other.stop()
    assert moto_patch._plane() is lab_cloud.events


def test_archive_keeps_matching_events_and_a_replay_redelivers_them(bridge, sandbox):
    bus_arn = f"arn:aws:events:us-east-1:{sandbox.account_id}:event-bus/default"
    bridge.events.create_archive(ArchiveName="all-shop", EventSourceArn=bus_arn,
                                 EventPattern='{"source": ["shop"]}')
    bridge.events.put_rule(Name="to-fn", EventPattern='{"source": ["shop"]}')
    bridge.events.put_targets(Rule="to-fn", Targets=[{"Id": "fn", "Arn": bridge.function_arn}])
    bridge.events.put_events(Entries=[{"Source": "shop", "DetailType": "Sold",
                                       "Detail": '{"n": 1}'}])
    bridge.settle()
    assert bridge.events.describe_archive(ArchiveName="all-shop")["EventCount"] == 1
    assert [d["target"] for d in bridge.deliveries()] == [bridge.function_arn.split(":")[-1]]
    bridge.events.start_replay(
        ReplayName="again", EventSourceArn=f"arn:aws:events:us-east-1:{sandbox.account_id}:"
                                           "archive/all-shop",
        EventStartTime=datetime(2000, 1, 1), EventEndTime=datetime(2100, 1, 1),
        Destination={"Arn": bus_arn})
    bridge.settle()
    replayed = [e for e in bridge.received() if e.get("replay-name") == "again"]
    assert [e["detail"] for e in replayed] == [{"n": 1}]


# -- delivery failures: retries, dead-letter queues, permissions (eventbridge/delivery.py) ---------

class Endpoint:
    """A real HTTP endpoint for API destination targets: it answers each request with the
    next status of its script (the last one repeats) and keeps what it was sent."""

    def __init__(self):
        self.statuses, self.requests = [200], []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                endpoint.requests.append({"method": self.command, "path": self.path,
                                          "headers": headers, "body": body})
                status = endpoint.statuses[min(len(endpoint.requests),
                                               len(endpoint.statuses)) - 1]
                answer = json.dumps({"message": f"status {status}"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_POST = do_PUT = _answer

            def log_message(self, *args):  # quiet in the test output
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, *statuses: int) -> None:
        self.statuses = list(statuses)


@pytest.fixture
def endpoint():
    served = Endpoint()
    yield served
    served.server.shutdown()
    served.server.server_close()


def _api_destination(bridge, endpoint, *, path: str = "/orders", auth: str = "API_KEY",
                     method: str = "POST") -> str:
    """An API destination (and its connection) in the learner's account, made with their
    credentials as their own code would: its ARN."""
    parameters = {"API_KEY": {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key",
                                                        "ApiKeyValue": "s3cret"}},
                  "BASIC": {"BasicAuthParameters": {"Username": "ada", "Password": "pw"}}}[auth]
    connection = bridge.events.create_connection(
        Name=f"shop-{auth.lower()}", AuthorizationType=auth, AuthParameters=parameters)
    return bridge.events.create_api_destination(
        Name=f"shop-{auth.lower()}", ConnectionArn=connection["ConnectionArn"],
        InvocationEndpoint=endpoint.url + path, HttpMethod=method)["ApiDestinationArn"]


def _put_shop_event(bridge, detail='{"order": 7}') -> str:
    answer = bridge.events.put_events(Entries=[{"Source": "shop", "DetailType": "Sold",
                                                "Detail": detail}])
    assert answer["FailedEntryCount"] == 0
    return answer["Entries"][0]["EventId"]


def test_lambda_target_without_permission_goes_to_the_dlq_without_retries(bridge, sandbox):
    lam = sandbox.client("lambda")
    [statement] = json.loads(lam.get_policy(FunctionName=bridge.function_arn)["Policy"])[
        "Statement"]
    lam.remove_permission(FunctionName=bridge.function_arn, StatementId=statement["Sid"])
    dlq_url, dlq_arn = bridge.queue("rule-dlq")
    rule_arn = bridge.events.put_rule(Name="sold", EventPattern='{"source": ["shop"]}')[
        "RuleArn"]
    bridge.events.put_targets(Rule="sold", Targets=[{
        "Id": "fn", "Arn": bridge.function_arn, "DeadLetterConfig": {"Arn": dlq_arn}}])
    event_id = _put_shop_event(bridge)
    attempt, dead = bridge.deliveries(rule="sold")
    assert bridge.received() == []  # the function never ran
    assert (attempt["mode"], attempt["error_code"], attempt["retryable"]) == (
        "async", "NO_PERMISSIONS", False)
    assert "retry_after_s" not in attempt
    assert "lambda:InvokeFunction" in attempt["error"]
    assert (dead["mode"], dead["dead_letter_arn"], dead["dead_letter_error"]) == (
        "dead-letter", dlq_arn, None)
    [message] = bridge.dead_letters(dlq_url)
    assert message["body"]["id"] == event_id and message["body"]["detail"] == {"order": 7}
    assert message["attributes"] == {
        "RULE_ARN": rule_arn, "TARGET_ARN": bridge.function_arn, "ERROR_CODE": "NO_PERMISSIONS",
        "ERROR_MESSAGE": attempt["error"].removeprefix("NO_PERMISSIONS: "),
        "RETRY_ATTEMPTS": "0"}


def test_a_permission_for_another_rule_does_not_let_this_one_in(bridge, sandbox):
    lam = sandbox.client("lambda")
    [statement] = json.loads(lam.get_policy(FunctionName=bridge.function_arn)["Policy"])[
        "Statement"]
    lam.remove_permission(FunctionName=bridge.function_arn, StatementId=statement["Sid"])
    lam.add_permission(FunctionName=bridge.function_arn, StatementId="only-nightly",
                       Action="lambda:InvokeFunction", Principal="events.amazonaws.com",
                       SourceArn=f"arn:aws:events:us-east-1:{sandbox.account_id}:rule/nightly")
    for name in ("nightly", "other"):
        bridge.events.put_rule(Name=name, EventPattern='{"source": ["shop"]}')
        bridge.events.put_targets(Rule=name, Targets=[{"Id": "fn", "Arn": bridge.function_arn}])
    _put_shop_event(bridge)
    outcomes = {d["rule"]: (d["mode"], d.get("error_code")) for d in bridge.deliveries()}
    assert outcomes == {"nightly": ("async", None), "other": ("dropped", "NO_PERMISSIONS")}
    assert [e["detail"] for e in bridge.received()] == [{"order": 7}]


def test_a_target_deleted_after_the_rule_was_made_goes_to_the_dlq(bridge):
    doomed_url, doomed_arn = bridge.queue("doomed")
    dlq_url, dlq_arn = bridge.queue("doomed-dlq")
    bridge.events.put_rule(Name="sold", EventPattern='{"source": ["shop"]}')
    bridge.events.put_targets(Rule="sold", Targets=[{
        "Id": "q", "Arn": doomed_arn, "DeadLetterConfig": {"Arn": dlq_arn}}])
    bridge.sqs.delete_queue(QueueUrl=doomed_url)
    _put_shop_event(bridge)
    attempt, dead = bridge.deliveries(rule="sold")
    assert (attempt["error_code"], dead["mode"]) == ("NO_RESOURCE", "dead-letter")
    [message] = bridge.dead_letters(dlq_url)
    assert message["attributes"]["ERROR_CODE"] == "NO_RESOURCE"
    assert message["attributes"]["TARGET_ARN"] == doomed_arn
    assert message["attributes"]["RETRY_ATTEMPTS"] == "0"
    assert "EXHAUSTED_RETRY_CONDITION" not in message["attributes"]


def test_a_throttled_delivery_is_retried_and_recovers(bridge, endpoint):
    dlq_url, dlq_arn = bridge.queue("unused-dlq")
    destination = _api_destination(bridge, endpoint)
    endpoint.answer(429, 429, 200)
    bridge.events.put_rule(Name="sold", EventPattern='{"source": ["shop"]}')
    bridge.events.put_targets(Rule="sold", Targets=[{
        "Id": "api", "Arn": destination, "DeadLetterConfig": {"Arn": dlq_arn}}])
    event_id = _put_shop_event(bridge)
    first, second, third = bridge.deliveries(rule="sold")
    assert len(endpoint.requests) == 3
    assert [(d["mode"], d.get("attempt"), d.get("error_code")) for d in (first, second, third)] \
        == [("async", None, "THROTTLING"), ("retry", 2, "THROTTLING"), ("retry", 3, None)]
    assert first["retryable"] and first["error"] == "THROTTLING: HTTP 429: status 429"
    assert 0 < first["retry_after_s"] <= 1 and 0 < second["retry_after_s"] <= 2  # backoff
    assert first["lab_retry_after_s"] < first["retry_after_s"]  # on lab time
    assert third["error"] is None and third["status"] == 200
    assert (third["target"], third["endpoint"]) == ("shop-api_key", endpoint.url + "/orders")
    for request in endpoint.requests:  # every attempt: the same event, the connection's key
        assert request["method"] == "POST" and request["path"] == "/orders"
        assert request["headers"]["x-api-key"] == "s3cret"
        assert request["headers"]["user-agent"] == "Amazon/EventBridge/ApiDestinations"
        sent = json.loads(request["body"])
        assert (sent["id"], sent["detail"]) == (event_id, {"order": 7})
    assert bridge.dead_letters(dlq_url) == []


@pytest.mark.parametrize("retries", [0, 2])
def test_retries_run_out_at_maximum_retry_attempts(bridge, endpoint, retries):
    dlq_url, dlq_arn = bridge.queue("failing-dlq")
    destination = _api_destination(bridge, endpoint)
    endpoint.answer(500)
    rule_arn = bridge.events.put_rule(Name="sold", EventPattern='{"source": ["shop"]}')[
        "RuleArn"]
    bridge.events.put_targets(Rule="sold", Targets=[{
        "Id": "api", "Arn": destination, "DeadLetterConfig": {"Arn": dlq_arn},
        "RetryPolicy": {"MaximumRetryAttempts": retries, "MaximumEventAgeInSeconds": 60}}])
    event_id = _put_shop_event(bridge)
    *attempts, dead = bridge.deliveries(rule="sold")
    assert len(endpoint.requests) == len(attempts) == retries + 1
    assert [d["mode"] for d in attempts] == ["async"] + ["retry"] * retries
    assert all(d["error_code"] == "INTERNAL_ERROR" for d in attempts)  # a 5xx is retried
    assert "retry_after_s" not in attempts[-1]  # no retry after the last one
    assert (dead["mode"], dead["exhausted_retry_condition"], dead["retry_attempts"]) == (
        "dead-letter", "MaximumRetryAttempts", retries)
    [message] = bridge.dead_letters(dlq_url)
    assert message["body"]["id"] == event_id
    # The attribute names are AWS's (EventBridge User Guide, "Using dead-letter queues");
    # the ERROR_CODE for an endpoint's 5xx is the lab's choice: AWS does not publish it.
    assert message["attributes"] == {
        "RULE_ARN": rule_arn, "TARGET_ARN": destination, "ERROR_CODE": "INTERNAL_ERROR",
        "ERROR_MESSAGE": "HTTP 500: status 500",
        "EXHAUSTED_RETRY_CONDITION": "MaximumRetryAttempts", "RETRY_ATTEMPTS": str(retries)}


@pytest.mark.parametrize(("status", "retried"), [(404, False), (400, False), (409, True)])
def test_an_endpoint_answer_is_retried_only_when_aws_retries_it(bridge, endpoint, status,
                                                                retried):
    # EventBridge User Guide, API destinations: 401, 407, 409, 429 and 5xx are retried; other
    # 4xx answers are not, and the event goes to the dead-letter queue at once.
    dlq_url, dlq_arn = bridge.queue("answer-dlq")
    destination = _api_destination(bridge, endpoint)
    endpoint.answer(status, 200)
    bridge.events.put_rule(Name="sold", EventPattern='{"source": ["shop"]}')
    bridge.events.put_targets(Rule="sold", Targets=[{
        "Id": "api", "Arn": destination, "DeadLetterConfig": {"Arn": dlq_arn}}])
    _put_shop_event(bridge)
    deliveries = bridge.deliveries(rule="sold")
    assert deliveries[0]["error_code"] == f"HTTP_{status}"
    assert deliveries[0]["retryable"] is retried
    if retried:
        assert [d["mode"] for d in deliveries] == ["async", "retry"]
        assert deliveries[-1]["status"] == 200 and len(endpoint.requests) == 2
        assert bridge.dead_letters(dlq_url) == []
    else:
        assert [d["mode"] for d in deliveries] == ["async", "dead-letter"]
        assert len(endpoint.requests) == 1
        [message] = bridge.dead_letters(dlq_url)
        assert message["attributes"]["ERROR_CODE"] == f"HTTP_{status}"
        assert message["attributes"]["RETRY_ATTEMPTS"] == "0"


def test_basic_auth_and_path_parameters_reach_the_endpoint(bridge, endpoint):
    destination = _api_destination(bridge, endpoint, path="/orders/*", auth="BASIC",
                                   method="PUT")
    bridge.events.put_rule(Name="sold", EventPattern='{"source": ["shop"]}')
    bridge.events.put_targets(Rule="sold", Targets=[{
        "Id": "api", "Arn": destination, "InputPath": "$.detail",
        "HttpParameters": {"PathParameterValues": ["o 7"],
                           "HeaderParameters": {"x-shop": "north"},
                           "QueryStringParameters": {"source": "lab"}}}])
    _put_shop_event(bridge)
    [delivery] = bridge.deliveries(rule="sold")
    assert delivery["status"] == 200 and delivery["http_method"] == "PUT"
    [request] = endpoint.requests
    assert (request["method"], request["path"]) == ("PUT", "/orders/o%207?source=lab")
    assert request["headers"]["authorization"] == "Basic " + base64.b64encode(
        b"ada:pw").decode()
    assert request["headers"]["x-shop"] == "north"
    assert json.loads(request["body"]) == {"order": 7}


def test_advancing_the_clock_ages_a_retrying_event_past_its_maximum_age(bridge, endpoint, lab,
                                                                       learner):
    dlq_url, dlq_arn = bridge.queue("aged-dlq")
    destination = _api_destination(bridge, endpoint)
    endpoint.answer(429)
    bridge.events.put_rule(Name="sold", EventPattern='{"source": ["shop"]}')
    bridge.events.put_targets(Rule="sold", Targets=[{  # AWS's default RetryPolicy: a day
        "Id": "api", "Arn": destination, "DeadLetterConfig": {"Arn": dlq_arn}}])
    _put_shop_event(bridge)
    wait_until(lambda: any(d["mode"] == "retry" for d in bridge.trace_deliveries()))
    assert lab.trace(learner, since=2**62)["quiet"] is False  # still retrying
    lab.clock(learner, advance="25h")
    dead = bridge.deliveries(rule="sold")[-1]
    assert (dead["mode"], dead["exhausted_retry_condition"]) == (
        "dead-letter", "MaximumEventAgeInSeconds")
    [message] = bridge.dead_letters(dlq_url)
    assert message["attributes"]["EXHAUSTED_RETRY_CONDITION"] == "MaximumEventAgeInSeconds"
    assert int(message["attributes"]["RETRY_ATTEMPTS"]) >= 1


def test_without_a_dlq_a_failed_event_is_dropped_and_traced(bridge, sandbox):
    sns = sandbox.client("sns")
    topic = sns.create_topic(Name="no-policy")["TopicArn"]  # the default policy: owner only
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=bridge.queue_arn,
                  Attributes={"RawMessageDelivery": "true"})
    bridge.events.put_rule(Name="alerts", EventPattern='{"source": ["shop"]}')
    bridge.events.put_targets(Rule="alerts", Targets=[{"Id": "topic", "Arn": topic}])
    _put_shop_event(bridge)
    attempt, dropped = bridge.deliveries(rule="alerts")
    assert attempt["error_code"] == "NO_PERMISSIONS" and "sns:Publish" in attempt["error"]
    assert (dropped["mode"], dropped["target"], dropped["target_arn"]) == (
        "dropped", "no-policy", topic)
    assert dropped["error"] == attempt["error"] and dropped["retry_attempts"] == 0
    assert dropped["event"]["detail"] == {"order": 7}
    assert bridge.messages() == []  # nothing reached the topic's subscriber


def test_an_unusable_dlq_is_reported_in_the_trace(bridge):
    dlq_url, dlq_arn = bridge.queue("closed-dlq", events_may_send=False)
    bridge.events.put_rule(Name="sold", EventPattern='{"source": ["shop"]}')
    bridge.events.put_targets(Rule="sold", Targets=[
        {"Id": "gone", "Arn": bridge.queue_arn.replace(bridge.queue_arn.rsplit(":", 1)[-1],
                                                       "missing"),
         "DeadLetterConfig": {"Arn": dlq_arn}},
        {"Id": "fifo", "Arn": bridge.queue_arn.replace(bridge.queue_arn.rsplit(":", 1)[-1],
                                                       "missing-too"),
         "DeadLetterConfig": {"Arn": dlq_arn.replace("closed-dlq", "dlq.fifo")}}])
    _put_shop_event(bridge)
    dead = {d["target"]: d for d in bridge.deliveries(rule="sold") if d["mode"] == "dead-letter"}
    assert dead["closed-dlq"]["dead_letter_error"].startswith("NO_PERMISSIONS: ")
    assert "sqs:SendMessage" in dead["closed-dlq"]["dead_letter_error"]
    assert "FIFO" in dead["dlq.fifo"]["dead_letter_error"]
    assert bridge.dead_letters(dlq_url) == []


def test_a_schedule_whose_target_is_gone_goes_to_its_dlq(bridge, sandbox, lab, learner):
    dlq_url, dlq_arn = bridge.queue("schedule-dlq", events_may_send=False)  # role-based
    missing = bridge.queue_arn.replace(bridge.queue_arn.rsplit(":", 1)[-1], "not-there")
    schedule_arn = sandbox.client("scheduler").create_schedule(
        Name="hourly", ScheduleExpression="rate(1 hour)", FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": missing, "RoleArn": f"arn:aws:iam::{sandbox.account_id}:role/s",
                "Input": '{"job": "report"}', "DeadLetterConfig": {"Arn": dlq_arn},
                "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 600}},
    )["ScheduleArn"]
    [fired] = lab.clock(learner, advance="30m")["fired"]  # a rate schedule fires at once
    attempt, dead = bridge.deliveries(source="aws:scheduler")
    assert (attempt["error_code"], dead["mode"]) == ("NO_RESOURCE", "dead-letter")
    [message] = bridge.dead_letters(dlq_url)
    assert message["body"] == {"job": "report"}  # the schedule's input
    attributes = message["attributes"]
    assert {k: attributes[k] for k in ("ERROR_CODE", "RETRY_ATTEMPTS", "SCHEDULE_ARN",
                                       "SCHEDULED_TIME", "TARGET_ARN", "IS_PAYLOAD_TRUNCATED")
            } == {"ERROR_CODE": "NO_RESOURCE", "RETRY_ATTEMPTS": "0",
                  "SCHEDULE_ARN": schedule_arn, "SCHEDULED_TIME": fired["time"],
                  "TARGET_ARN": missing, "IS_PAYLOAD_TRUNCATED": "false"}
    assert attributes["EXECUTION_ID"] and "RULE_ARN" not in attributes
