"""The sandbox inventory (/_lab/inventory, inventory.py): what a learner's account holds, read
without touching it, and never another learner's."""

import base64
import json

import pytest

from serverless_lab.cloud.client import LabCloudError
from tests.conftest import events_since, trace_mark, wait_until

PASS_MACHINE = {"StartAt": "Greet", "States": {"Greet": {"Type": "Pass", "End": True}}}


def _table(sandbox, name="orders", items=()):
    dynamodb = sandbox.client("dynamodb")
    dynamodb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    for item in items:
        dynamodb.put_item(TableName=name, Item=item)
    return dynamodb


def test_tables_with_their_items_paged(lab, learner, sandbox):
    _table(sandbox, items=[{"id": {"S": f"o-{n:02}"}, "total": {"N": str(n)}}
                           for n in range(5)])
    first = lab.inventory(learner, limit=2)
    [table] = first["tables"]
    assert (table["name"], table["keys"], table["item_count"]) == ("orders", ["id"], 5)
    assert len(table["items"]) == 2 and table["next"]
    seen = [item["id"] for item in table["items"]]
    start = table["next"]
    while start:
        [table] = lab.inventory(learner, table="orders", start=start, limit=2)["tables"]
        seen += [item["id"] for item in table["items"]]
        start = table["next"]
    assert sorted(seen) == [f"o-{n:02}" for n in range(5)]
    assert {"id": "o-03", "total": 3} in lab.inventory(learner, limit=10)["tables"][0]["items"]


def test_a_bad_page_or_table_is_a_clear_refusal(lab, learner, sandbox):
    _table(sandbox)
    with pytest.raises(LabCloudError, match="no table 'nope'"):
        lab.inventory(learner, table="nope")
    with pytest.raises(LabCloudError, match="page token"):
        lab.inventory(learner, table="orders", start="not-a-token")


def test_buckets_with_text_previewed_and_images_marked(lab, learner, sandbox):
    s3 = sandbox.client("s3")
    s3.create_bucket(Bucket=f"uploads-{sandbox.account_id}")
    s3.put_object(Bucket=f"uploads-{sandbox.account_id}", Key="notes/a.txt", Body=b"hello",
                  ContentType="text/plain")
    s3.put_object(Bucket=f"uploads-{sandbox.account_id}", Key="thumb.png",
                  Body=b"\x89PNG\r\n\x1a\n", ContentType="image/png")
    [bucket] = lab.inventory(learner)["buckets"]
    objects = {o["key"]: o for o in bucket["objects"]}
    assert objects["notes/a.txt"]["preview"] == "hello"
    assert objects["notes/a.txt"]["kind"] == "text"
    assert objects["thumb.png"]["kind"] == "image" and "preview" not in objects["thumb.png"]
    found = lab.inventory(learner, bucket=bucket["name"], key="thumb.png")["object"]
    assert base64.b64decode(found["body_base64"]) == b"\x89PNG\r\n\x1a\n"
    assert found["content_type"] == "image/png"


def test_queue_messages_are_read_without_receiving_them(lab, learner, sandbox):
    sqs = sandbox.client("sqs")
    dlq = sqs.create_queue(QueueName="jobs-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName="jobs", Attributes={"RedrivePolicy": json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3})})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody='{"job": 1}')
    sqs.send_message(QueueUrl=url, MessageBody='{"job": 2}')
    sqs.send_message(QueueUrl=dlq, MessageBody="gave up")
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=300)

    for _ in range(3):  # reading again and again changes nothing
        queues = {q["name"]: q for q in lab.inventory(learner)["queues"]}
    jobs = queues["jobs"]
    assert (jobs["visible"], jobs["in_flight"]) == (1, 1)
    assert jobs["dead_letter_queue"] == "jobs-dlq" and jobs["dead_letter_depth"] == 1
    assert sorted(m["body"] for m in jobs["messages"]) == ['{"job": 1}', '{"job": 2}']
    assert sorted((m["receive_count"], m["visible"]) for m in jobs["messages"]) == [
        (0, True), (1, False)]
    assert queues["jobs-dlq"]["messages"][0]["receive_count"] == 0
    received = sqs.receive_message(QueueUrl=dlq, AttributeNames=["ApproximateReceiveCount"])
    assert received["Messages"][0]["Attributes"]["ApproximateReceiveCount"] == "1"


def test_inventory_reads_are_not_in_the_trace(lab, learner, sandbox):
    _table(sandbox, items=[{"id": {"S": "a"}}])
    mark = trace_mark(lab, learner)
    lab.inventory(learner)
    assert events_since(lab, learner, mark) == []


def test_topics_streams_mappings_executions_and_logs(lab, learner, sandbox, deploy):
    deployed = deploy("echo")
    function = deployed["functions"]["EchoFunction"]
    sns = sandbox.client("sns")
    topic = sns.create_topic(Name="news")["TopicArn"]
    sqs = sandbox.client("sqs")
    inbox = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn)
    sandbox.client("kinesis").create_stream(StreamName="clicks", ShardCount=2)
    sandbox.client("lambda").create_event_source_mapping(
        EventSourceArn=inbox_arn, FunctionName=function, Enabled=False)
    iam = sandbox.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {"Service": "states.amazonaws.com"}}]}
    role = iam.create_role(RoleName="sfn",
                           AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    sfn = sandbox.client("stepfunctions")
    machine = sfn.create_state_machine(name="greeter", roleArn=role,
                                       definition=json.dumps(PASS_MACHINE))["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, name="first")["executionArn"]
    wait_until(lambda: sfn.describe_execution(executionArn=execution)["status"] != "RUNNING")
    lab.invoke(learner, "echo", function, {"hello": "inventory"})

    found = lab.inventory(learner)
    [news] = found["topics"]
    assert news["subscriptions"] == [{"protocol": "sqs", "endpoint": inbox_arn}]
    [clicks] = found["streams"]
    assert len(clicks["shards"]) == 2 and all(s["open"] for s in clicks["shards"])
    [mapping] = found["mappings"]
    assert (mapping["source"], mapping["function"], mapping["state"]) == (
        "inbox", function, "Disabled")
    [greeter] = found["state_machines"]
    [first] = greeter["executions"]
    assert first["status"] == "SUCCEEDED"
    assert {"type": "PassStateEntered", "state": "Greet"} in [
        {"type": e["type"], "state": e["state"]} for e in first["history"]]
    group = next(g for g in found["log_groups"] if g["name"] == f"/aws/lambda/{function}")
    assert any(line.startswith("REPORT") for line in group["streams"][0]["events"])


def test_never_another_learners_account(lab, learner, sandbox):
    _table(sandbox, name="mine", items=[{"id": {"S": "secret"}}])
    s3 = sandbox.client("s3")
    bucket = f"private-{sandbox.account_id}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k.txt", Body=b"secret")
    other = f"{learner}-other"
    lab.sandbox(other)  # a sandbox of their own, which is all they may read
    found = lab.inventory(other)
    assert found["account_id"] != sandbox.account_id
    assert (found["tables"], found["buckets"], found["queues"]) == ([], [], [])
    with pytest.raises(LabCloudError, match="no object 'k.txt'"):
        lab.inventory(other, bucket=bucket, key="k.txt")
    with pytest.raises(LabCloudError, match="no table 'mine'"):
        lab.inventory(other, table="mine")


def test_the_route_needs_the_control_token_and_a_learner(lab_cloud, lab):
    from serverless_lab.cloud.client import LabClient

    with pytest.raises(LabCloudError, match="control API needs its token"):
        LabClient(lab_cloud.url, token="wrong").inventory("someone")
    with pytest.raises(LabCloudError, match="learner is required"):
        lab._call("GET", "inventory")


def test_one_stacks_resources(lab, learner, sandbox, deploy):
    deployed = deploy("echo")
    function = deployed["functions"]["EchoFunction"]
    _table(sandbox, name="not-in-the-stack")
    lab.invoke(learner, "echo", function, {})
    found = lab.inventory(learner, stack="echo")
    assert found["deployed"] and found["tables"] == []
    assert f"/aws/lambda/{function}" in [g["name"] for g in found["log_groups"]]
    queues = deploy("sqs-consumers")["resources"]
    in_stack = lab.inventory(learner, stack="sqs-consumers")["queues"]
    assert sorted(q["name"] for q in in_stack) == sorted(
        r["physical_id"].rsplit("/", 1)[-1] for r in queues.values()
        if r["type"] == "AWS::SQS::Queue")
    assert [t["name"] for t in lab.inventory(learner)["tables"]] == ["not-in-the-stack"]
    absent = lab.inventory(learner, stack="never-deployed")
    assert not absent["deployed"] and absent["log_groups"] == []


def test_reading_makes_no_sandbox(lab_cloud, lab, learner):
    found = lab.inventory(learner, stack="rest-api")
    assert (found["account_id"], found["deployed"], found["tables"]) == (None, False, [])
    with pytest.raises(LabCloudError, match="no object"):
        lab.inventory(learner, bucket="any", key="k")
    assert lab_cloud.accounts.find(learner) is None
