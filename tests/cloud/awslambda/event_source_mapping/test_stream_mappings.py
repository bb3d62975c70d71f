"""Kinesis and DynamoDB Streams event source mappings with the Lambda service's semantics
(event_source_mapping/stream_poller.py).

The SAM folder tests/cloud/functions/streams has Kinesis streams whose mappings bisect on
error, report partial batch failures or never succeed, a stream with no mapping (the tests
create them), and one table per StreamViewType. Each test writes with the learner's
credentials and asserts what AWS would leave behind: the destinations' messages, the
records each invocation carried, and the trace's hops.
"""

import json
import time

import pytest

from serverless_lab.cloud.awslambda.event_source_mapping.stream_events import first_failure
from serverless_lab.cloud.kinesis import moto_patch as stream_moto
from tests.cloud.conftest import FUNCTIONS
from tests.conftest import learner_client, trace_mark, wait_until

KINESIS_KEYS = {"kinesis", "eventSource", "eventVersion", "eventID", "eventName",
                "invokeIdentityArn", "awsRegion", "eventSourceARN"}
KINESIS_DATA_KEYS = {"kinesisSchemaVersion", "partitionKey", "sequenceNumber", "data",
                     "approximateArrivalTimestamp"}
DYNAMODB_KEYS = {"eventID", "eventName", "eventVersion", "eventSource", "awsRegion",
                 "dynamodb", "eventSourceARN"}
FAILURE_KEYS = {"requestContext", "responseContext", "version", "timestamp"}
BATCH_INFO_KEYS = {"shardId", "startSequenceNumber", "endSequenceNumber",
                   "approximateArrivalOfFirstRecord", "approximateArrivalOfLastRecord",
                   "batchSize", "streamArn"}


@pytest.fixture
def streams(deploy, sandbox, lab, learner):
    """The deployed folder, the learner's clients and the trace mark before the test."""
    return _deployed("streams", deploy, sandbox, lab, learner)


@pytest.fixture
def windows(deploy, sandbox, lab, learner):
    """tests/cloud/functions/streams-windows: ParallelizationFactor and tumbling windows."""
    return _deployed("streams-windows", deploy, sandbox, lab, learner)


def _deployed(folder, deploy, sandbox, lab, learner):
    deployment = deploy(folder)

    class Streams:
        kinesis = sandbox.client("kinesis")
        dynamodb = sandbox.client("dynamodb")
        sqs = sandbox.client("sqs")
        lambda_ = sandbox.client("lambda")
        account_id = sandbox.account_id
        resources = deployment["resources"]
        functions = deployment["functions"]
        mark = trace_mark(lab, learner)

        @classmethod
        def physical(cls, logical_id):
            return cls.resources[logical_id]["physical_id"]

        @classmethod
        def put(cls, stream, *datas, key="k"):
            return cls.kinesis.put_records(StreamName=cls.physical(stream), Records=[
                {"PartitionKey": key, "Data": d.encode()} for d in datas])

        @classmethod
        def events(cls, *, kind=None, mode=None):
            found = lab.trace(learner, since=cls.mark)["events"]
            return [e for e in found if (kind is None or e["type"] == kind)
                    and (mode is None or e.get("mode") == mode)]

        @classmethod
        def invocations(cls, logical_id):
            return sorted((e for e in cls.events(kind="invocation")
                           if e["function_name"] == cls.functions[logical_id]),
                          key=lambda e: e["at"])

        @classmethod
        def lines(cls, logical_id, prefix="RECORD "):
            """Per invocation of the function, in order: what its log lines after `prefix`
            say."""
            return [[line.split(prefix, 1)[1] for line in i["logs"].splitlines()
                     if prefix in line] for i in cls.invocations(logical_id)]

        @classmethod
        def received(cls, queue) -> list[dict]:
            found = cls.sqs.receive_message(QueueUrl=cls.physical(queue),
                                            MaxNumberOfMessages=10)
            return [json.loads(m["Body"]) for m in found.get("Messages", [])]

        @classmethod
        def wait(cls, condition, timeout=30.0):
            wait_until(condition, timeout)

        @classmethod
        def wait_quiet(cls, timeout=30.0):
            cls.wait(lambda: lab.trace(learner, since=cls.mark)["quiet"], timeout)

    return Streams


def _call_ended(streams, operation: str) -> float:
    """When the lab finished answering the one `operation` call of the test (its own
    record of it, so it does not depend on when the test's thread got to run)."""
    [call] = [e for e in streams.events(kind="api_call") if e["operation"] == operation]
    assert call["status"] == 200
    return call["at"] + call["duration_ms"] / 1000


def test_put_records_returns_before_the_consumer_runs_and_one_batch_carries_them(streams):
    answer = streams.put("Clicks", "a", "b", "c")
    assert answer["FailedRecordCount"] == 0
    streams.wait_quiet()
    [delivery] = streams.events(kind="delivery", mode="poll")
    [invocation] = streams.invocations("Collector")
    assert delivery["source"] == "aws:kinesis" and delivery["batch_size"] == 3
    assert delivery["target"] == streams.functions["Collector"]
    assert delivery["outcome"] == "success"
    # The producer had its answer before the consumer started; the records waited in the
    # shard for the poller.
    assert _call_ended(streams, "PutRecords") < invocation["at"]
    assert streams.lines("Collector") == [["a", "b", "c"]]
    [record, *_] = delivery["event"]["Records"]
    assert set(record) == KINESIS_KEYS and set(record["kinesis"]) == KINESIS_DATA_KEYS
    shard = answer["Records"][0]["ShardId"]
    number = answer["Records"][0]["SequenceNumber"]
    assert record["eventID"] == f"{shard}:{number}"
    assert record["eventName"] == "aws:kinesis:record" and record["eventVersion"] == "1.0"
    assert record["eventSourceARN"].endswith(":stream/" + streams.physical("Clicks"))
    assert record["invokeIdentityArn"].startswith("arn:aws:iam::")
    assert record["kinesis"]["data"] == "YQ=="  # base64 of "a"
    assert [r["kinesis"]["sequenceNumber"] for r in delivery["event"]["Records"]] == [
        r["SequenceNumber"] for r in answer["Records"]]


def test_bisect_corners_the_poison_record_which_goes_to_the_on_failure_queue(streams):
    answer = streams.put("Clicks", "a", "b", "poison", "c")
    numbers = [r["SequenceNumber"] for r in answer["Records"]]
    streams.wait_quiet()
    # [a b poison c] fails -> [a b] succeeds, [poison c] fails -> [poison] fails, is
    # retried once (MaximumRetryAttempts: 1) and given up on -> [c]. A split uses no retry.
    assert streams.lines("Collector") == [
        ["a", "b", "poison", "c"], ["a", "b"], ["poison", "c"], ["poison"], ["poison"], ["c"]]
    retries = streams.events(kind="delivery", mode="retry")
    assert [r["bisected"] for r in retries] == [True, True, False]
    [message] = streams.received("ClickFailures")
    assert FAILURE_KEYS | {"KinesisBatchInfo"} == set(message)
    info = message["KinesisBatchInfo"]
    assert set(info) == BATCH_INFO_KEYS
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == numbers[2]
    assert info["batchSize"] == 1 and info["shardId"] == answer["Records"][2]["ShardId"]
    assert info["streamArn"].endswith(":stream/" + streams.physical("Clicks"))
    assert info["approximateArrivalOfFirstRecord"].endswith("Z")
    context = message["requestContext"]
    assert context["condition"] == "RetryAttemptsExhausted"
    assert context["approximateInvokeCount"] == 2
    assert context["functionArn"].endswith(":function:" + streams.functions["Collector"])
    assert message["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST",
                                          "functionError": "Unhandled"}
    [sent] = streams.events(kind="delivery", mode="destination")
    assert sent["condition"] == "RetryAttemptsExhausted" and sent["event"] == message
    assert sent["target"].endswith(":" + streams.resources["ClickFailures"]["physical_id"]
                                   .rsplit("/", 1)[-1])


def test_later_records_wait_behind_a_failing_batch_in_order(streams, gate):
    streams.put("Clicks", "poison " + json.dumps(gate.spec()))
    # Written while the poison record's first attempt waits at the gate, so before it is
    # retried and given up on (not just "soon after it was put", which a slow machine can
    # make too late): held back until it is given up on.
    streams.wait(lambda: gate.started() >= 1)
    streams.put("Clicks", "after-1", "after-2")
    gate.open()
    streams.wait_quiet()
    # The first attempt failed on the poison, not at the gate: the precondition held.
    first_attempt = streams.invocations("Collector")[0]
    assert first_attempt["error"]["errorMessage"].startswith("poison record")
    batches = [[line.split(" ", 1)[0] for line in batch] for batch in streams.lines("Collector")]
    assert batches[:2] == [["poison"], ["poison"]]
    assert [r for batch in batches[2:] for r in batch] == ["after-1", "after-2"]
    [sent] = streams.events(kind="delivery", mode="destination")
    polls = streams.events(kind="delivery", mode="poll")
    after = [d for d in polls if d["event"]["Records"][0]["kinesis"]["data"] == "YWZ0ZXItMQ=="]
    assert after and all(d["seq"] > sent["seq"] for d in after)


def test_report_batch_item_failures_checkpoints_at_the_lowest_failed_record(streams):
    answer = streams.put("Scores", "ok-1", "bad-2", "ok-3", "bad-4", "ok-5")
    numbers = [r["SequenceNumber"] for r in answer["Records"]]
    streams.wait_quiet()
    # Lambda keeps ok-1 and retries from bad-2 (the lowest failed), not only bad-2 and bad-4;
    # after one retry (MaximumRetryAttempts: 1) it gives up on bad-2..ok-5.
    assert streams.lines("Scorer") == [["ok-1", "bad-2", "ok-3", "bad-4", "ok-5"],
                                       ["bad-2", "ok-3", "bad-4", "ok-5"]]
    first, retry = streams.events(kind="delivery", mode="poll")
    assert first["outcome"] == "partial" and first["failed"] == numbers[1:]
    # bad-2 fails again: no record of the retried batch gets past the checkpoint.
    assert retry["outcome"] == "failure" and retry["failed"] == numbers[1:]
    [message] = streams.received("ScoreFailures")
    info = message["KinesisBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"]) == (numbers[1], numbers[4])
    assert info["batchSize"] == 4
    assert "functionError" not in message["responseContext"]


def test_empty_failure_list_is_success_and_an_unknown_identifier_fails_the_batch(streams):
    streams.put("Scores", "empty-1", "empty-2")
    streams.wait_quiet()
    streams.put("Scores", "fine", "invalid")
    streams.wait_quiet()
    assert streams.lines("Scorer") == [["empty-1", "empty-2"], ["fine", "invalid"],
                                       ["fine", "invalid"]]
    outcomes = [d["outcome"] for d in streams.events(kind="delivery", mode="poll")]
    assert outcomes == ["success", "failure", "failure"]
    [message] = streams.received("ScoreFailures")
    assert message["KinesisBatchInfo"]["batchSize"] == 2


@pytest.mark.parametrize("payload,expected", [
    (None, None), ("null", None), ("{}", None), ('{"batchItemFailures": []}', None),
    ('{"batchItemFailures": null}', None),
    ('{"batchItemFailures": [{"itemIdentifier": "3"}, {"itemIdentifier": "2"}]}', 1),
    ('{"batchItemFailures": [{"itemIdentifier": ""}]}', 0),
    ('{"batchItemFailures": [{"itemIdentifier": null}]}', 0),
    ('{"batchItemFailures": [{"sequenceNumber": "2"}]}', 0),
    ('{"batchItemFailures": [{"itemIdentifier": "9"}]}', 0),
    ('"oops"', 0),
])
def test_first_failure_reads_a_partial_batch_response_as_aws_does(payload, expected):
    assert first_failure(payload, ["1", "2", "3"]) == expected


def test_starting_positions_latest_trim_horizon_and_at_timestamp(streams):
    streams.put("History", "before-1")
    time.sleep(0.05)
    since = time.time()
    time.sleep(0.05)
    streams.put("History", "before-2")
    arn = streams.kinesis.describe_stream(
        StreamName=streams.physical("History"))["StreamDescription"]["StreamARN"]
    for logical, position in (("FromLatest", {"StartingPosition": "LATEST"}),
                              ("FromHorizon", {"StartingPosition": "TRIM_HORIZON"}),
                              ("FromTimestamp", {"StartingPosition": "AT_TIMESTAMP",
                                                 "StartingPositionTimestamp": since})):
        streams.lambda_.create_event_source_mapping(
            FunctionName=streams.functions[logical], EventSourceArn=arn,
            MaximumBatchingWindowInSeconds=1, **position)
    streams.put("History", "after")
    streams.wait_quiet()
    assert streams.lines("FromLatest") == [["after"]]
    assert [r for b in streams.lines("FromHorizon") for r in b] == [
        "before-1", "before-2", "after"]
    assert [r for b in streams.lines("FromTimestamp") for r in b] == ["before-2", "after"]


def test_records_older_than_the_maximum_age_are_given_up_on_unsent(streams):
    from moto.kinesis.models import kinesis_backends

    streams.put("History", "stale", "fresh")
    stream = next(s for s in kinesis_backends[streams.account_id]["us-east-1"].streams.values()
                  if s.stream_name == streams.physical("History"))
    [shard] = stream.shards.values()
    next(iter(shard.records.values())).created_at -= 120  # written two minutes ago
    queue_arn = streams.sqs.get_queue_attributes(
        QueueUrl=streams.physical("ClickFailures"), AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
    streams.lambda_.create_event_source_mapping(
        FunctionName=streams.functions["FromHorizon"], EventSourceArn=stream.arn,
        StartingPosition="TRIM_HORIZON", MaximumRecordAgeInSeconds=60,
        DestinationConfig={"OnFailure": {"Destination": queue_arn}})
    streams.wait_quiet()
    assert streams.lines("FromHorizon") == [["fresh"]]
    [message] = streams.received("ClickFailures")
    assert message["requestContext"]["condition"] == "RecordAgeExceeded"
    assert message["KinesisBatchInfo"]["batchSize"] == 1


def test_an_s3_on_failure_destination_gets_the_record_and_the_batch(streams, sandbox):
    streams.put("History", "poison")
    arn = streams.kinesis.describe_stream(
        StreamName=streams.physical("History"))["StreamDescription"]["StreamARN"]
    bucket = streams.physical("FailedBatches")
    mapping = streams.lambda_.create_event_source_mapping(
        FunctionName=streams.functions["FromHorizon"], EventSourceArn=arn,
        StartingPosition="TRIM_HORIZON", MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": f"arn:aws:s3:::{bucket}"}})
    streams.wait_quiet()
    assert streams.lines("FromHorizon") == [["poison"]]  # no retry: MaximumRetryAttempts 0
    s3 = sandbox.client("s3")
    [found] = s3.list_objects_v2(Bucket=bucket)["Contents"]
    assert found["Key"].startswith(f"aws/lambda/{mapping['UUID']}/shardId-000000000000/")
    stored = json.loads(s3.get_object(Bucket=bucket, Key=found["Key"])["Body"].read())
    assert stored["KinesisBatchInfo"]["batchSize"] == 1
    assert stored["requestContext"]["condition"] == "RetryAttemptsExhausted"
    [record] = json.loads(stored["payload"])["Records"]
    assert record["kinesis"]["data"] == "cG9pc29u"  # base64 of "poison"


@pytest.mark.parametrize("table,view", [("Full", "NEW_AND_OLD_IMAGES"),
                                        ("KeysOnly", "KEYS_ONLY"),
                                        ("NewOnly", "NEW_IMAGE"),
                                        ("OldOnly", "OLD_IMAGE")])
def test_dynamodb_records_carry_the_images_their_stream_view_type_keeps(streams, table, view):
    name = streams.physical(table)
    streams.dynamodb.put_item(TableName=name, Item={"id": {"S": "o-1"}, "n": {"N": "1"}})
    streams.dynamodb.update_item(TableName=name, Key={"id": {"S": "o-1"}},
                                 UpdateExpression="SET n = :n",
                                 ExpressionAttributeValues={":n": {"N": "2"}})
    # A write that changes nothing makes no stream record.
    streams.dynamodb.put_item(TableName=name, Item={"id": {"S": "o-1"}, "n": {"N": "2"}})
    streams.dynamodb.delete_item(TableName=name, Key={"id": {"S": "o-1"}})
    streams.wait_quiet()
    records = [json.loads(line) for batch in streams.lines("Changes", "CHANGE ")
               for line in batch]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    for record in records:
        assert set(record) == DYNAMODB_KEYS
        assert record["eventSource"] == "aws:dynamodb" and record["awsRegion"] == "us-east-1"
        assert record["eventSourceARN"].split("/stream/")[0].endswith(":table/" + name)
        change = record["dynamodb"]
        assert change["StreamViewType"] == view and change["Keys"] == {"id": {"S": "o-1"}}
        assert change["ApproximateCreationDateTime"] == int(change["ApproximateCreationDateTime"])
        assert change["SizeBytes"] > 0
    images = [(("OldImage" in r["dynamodb"]), ("NewImage" in r["dynamodb"])) for r in records]
    old = view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES")
    new = view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES")
    assert images == [(False, new), (old, new), (old, False)]
    if view == "NEW_AND_OLD_IMAGES":
        assert records[1]["dynamodb"]["OldImage"]["n"] == {"N": "1"}
        assert records[1]["dynamodb"]["NewImage"]["n"] == {"N": "2"}
    numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert numbers == sorted(set(numbers)) and len(str(numbers[0])) >= 21


def test_dynamodb_sequence_numbers_stay_unique_across_batches(streams):
    name = streams.physical("KeysOnly")
    for n in range(3):
        streams.dynamodb.put_item(TableName=name, Item={"id": {"S": f"o-{n}"}})
        streams.wait_quiet()
    records = [json.loads(line) for batch in streams.lines("Changes", "CHANGE ")
               for line in batch]
    numbers = [r["dynamodb"]["SequenceNumber"] for r in records]
    assert len(numbers) == 3 and len(set(numbers)) == 3
    assert len(streams.invocations("Changes")) == 3


def test_dynamodb_retries_run_out_and_the_sns_destination_gets_the_batch_info(streams):
    name = streams.physical("Full")
    streams.dynamodb.put_item(TableName=name, Item={"id": {"S": "p-1"}, "poison": {"S": "x"}})
    streams.wait_quiet()
    invocations = streams.invocations("Changes")
    assert len(invocations) == 3  # the first attempt and MaximumRetryAttempts: 2
    assert _call_ended(streams, "PutItem") < invocations[0]["at"]
    streams.wait(lambda: streams.sqs.get_queue_attributes(
        QueueUrl=streams.physical("ChangeFailuresQueue"),
        AttributeNames=["ApproximateNumberOfMessages"])["Attributes"][
            "ApproximateNumberOfMessages"] == "1")
    [message] = streams.received("ChangeFailuresQueue")
    assert set(message) == FAILURE_KEYS | {"DDBStreamBatchInfo"}
    info = message["DDBStreamBatchInfo"]
    assert set(info) == BATCH_INFO_KEYS and info["batchSize"] == 1
    assert info["streamArn"].split("/stream/")[0].endswith(":table/" + name)
    assert info["approximateArrivalOfFirstRecord"].endswith("Z")
    assert message["requestContext"]["approximateInvokeCount"] == 3
    # The shard moved on: the next write is delivered.
    streams.dynamodb.put_item(TableName=name, Item={"id": {"S": "ok-1"}})
    streams.wait_quiet()
    assert "ok-1" in streams.invocations("Changes")[-1]["logs"]


def test_a_consumer_that_never_succeeds_holds_up_no_other_mapping_or_account(
        streams, lab, learner):
    other = learner[:40] + "-neighbour"
    deployed = lab.deploy(other, str(FUNCTIONS / "streams"), stack="streams")
    kinesis = learner_client(lab, other, "kinesis")
    neighbour_mark = trace_mark(lab, other)
    try:
        streams.put("Stuck", "never")
        streams.wait(lambda: len(streams.invocations("AlwaysFails")) >= 2)
        # Another mapping of the same account, and a mapping of another account, are
        # delivered while the stuck one keeps retrying (how fast is `lab bench`'s business).
        streams.put("Clicks", "here")
        kinesis.put_record(StreamName=deployed["resources"]["Clicks"]["physical_id"],
                           PartitionKey="k", Data=b"there")
        streams.wait(lambda: streams.lines("Collector") == [["here"]])
        streams.wait(lambda: any(e["type"] == "invocation" and "there" in e["logs"]
                                 for e in lab.trace(other, since=neighbour_mark)["events"]))
        # The stuck shard is still retrying (MaximumRetryAttempts: -1, records never expire
        # in a test's time): its account is not quiet, the other one is.
        assert not lab.trace(learner, since=2**62)["quiet"]
        streams.wait(lambda: lab.trace(other, since=2**62)["quiet"])
        assert all(d["outcome"] == "failure" for d in streams.events(kind="delivery", mode="poll")
                   if d["target"] == streams.functions["AlwaysFails"] and "outcome" in d)
    finally:
        for mapping in streams.lambda_.list_event_source_mappings()["EventSourceMappings"]:
            if mapping["FunctionArn"].endswith(":" + streams.functions["AlwaysFails"]):
                streams.lambda_.update_event_source_mapping(UUID=mapping["UUID"],
                                                            Enabled=False)
    streams.wait_quiet()


def test_moto_internals_the_stream_hooks_rely_on_are_unchanged():
    import inspect

    from moto.kinesis.models import Stream

    from serverless_lab.cloud.sqs import moto_patch as sqs_moto

    assert stream_moto.signatures_match()
    assert "self.lambda_event_source_mappings.items()" in inspect.getsource(Stream.put_record)
    lookup = inspect.getsource(stream_moto.ORIGINALS["shard_for_key"])
    assert lookup.count("self.") == 1 and "for shard in self.shards.values():" in lookup
    add = inspect.getsource(stream_moto.ORIGINALS["stream_add"])
    assert "self.table.lambda_event_source_mappings.items()" in add
    assert "self.items = []" in add  # what detaching the mapping keeps from happening
    create = inspect.getsource(sqs_moto.ORIGINALS["create"])
    assert "table.lambda_event_source_mappings[esm.function_arn] = esm" in create
    assert "stream.lambda_event_source_mappings[esm.event_source_arn] = esm" in create


# -- ParallelizationFactor ------------------------------------------------------------------
def test_parallelization_factor_runs_two_batches_of_a_shard_at_once_in_order_per_key(windows):
    from serverless_lab.cloud.awslambda.event_source_mapping.stream_records import lane_of

    # Keys in different lanes (a key's lane is its MD5 hash modulo the factor).
    assert lane_of("alpha", 2) != lane_of("charlie", 2)
    windows.kinesis.put_records(StreamName=windows.physical("Orders"), Records=[
        {"PartitionKey": key, "Data": f"{key}-{n}".encode()}
        for n in range(1, 4) for key in ("alpha", "charlie")])
    windows.wait_quiet()
    invocations = windows.invocations("Slow")
    batches = [[line.split() for line in i["logs"].splitlines() if "RECORD " in line]
               for i in invocations]
    assert sorted(len(b) for b in batches) == [1, 1, 2, 2]  # BatchSize 2, per lane
    spans = {}
    for invocation, batch in zip(invocations, batches, strict=True):
        [key] = {record[1] for record in batch}  # one key per batch: never split
        spans.setdefault(key, []).append(
            (invocation["at"], invocation["at"] + invocation["duration_ms"] / 1000, batch))
    for key, runs in spans.items():
        # Each key's records in order, its batches one after the other.
        assert [r[2] for run in runs for r in run[2]] == [f"{key}-{n}" for n in (1, 2, 3)]
        assert runs[0][1] <= runs[1][0]
    # The two keys' first batches ran at once: each needed an environment of its own (a
    # free warm one would have been reused), so both were cold starts, in two log streams.
    first_two = invocations[:2]
    assert all(i["cold_start"] for i in first_two)
    assert first_two[0]["log_stream"] != first_two[1]["log_stream"]
    polls = windows.events(kind="delivery", mode="poll")
    assert sorted({d["lane"] for d in polls}) == [0, 1]
    assert all(d["outcome"] == "success" and d["shard"] == "shardId-000000000000"
               for d in polls)


def test_after_a_split_the_parent_shard_is_read_to_its_end_before_its_children(windows):
    """Records of one key written before and after a split are in two shards; the child's
    are processed only once the parent's are, so the key stays in order."""
    stream = windows.physical("Resharded")
    windows.kinesis.put_records(StreamName=stream, Records=[
        {"PartitionKey": "k", "Data": f"k-{n}".encode()} for n in range(1, 5)])
    [parent] = windows.kinesis.list_shards(StreamName=stream)["Shards"]
    windows.kinesis.split_shard(StreamName=stream, ShardToSplit=parent["ShardId"],
                                NewStartingHashKey=str(2**127))
    windows.kinesis.put_records(StreamName=stream, Records=[
        {"PartitionKey": "k", "Data": f"k-{n}".encode()} for n in range(5, 9)])
    shards = windows.kinesis.list_shards(StreamName=stream)["Shards"]
    assert len(shards) == 3 and sum(s.get("ParentShardId") == parent["ShardId"]
                                    for s in shards) == 2
    [mapping] = windows.lambda_.list_event_source_mappings(
        FunctionName=windows.functions["InOrder"])["EventSourceMappings"]
    windows.lambda_.update_event_source_mapping(UUID=mapping["UUID"], Enabled=True)
    windows.wait(lambda: sum(len(b) for b in windows.lines("InOrder")) == 8)
    windows.wait_quiet()

    invocations = windows.invocations("InOrder")
    assert [line for batch in windows.lines("InOrder") for line in batch] == [
        f"k k-{n}" for n in range(1, 9)]
    # One batch after another: the child's first began after the parent's last ended.
    ends = [i["at"] + i["duration_ms"] / 1000 for i in invocations]
    assert all(end <= later["at"] for end, later in zip(ends, invocations[1:], strict=False))
    shards_read = [d["shard"] for d in windows.events(kind="delivery", mode="poll")
                   if d["target"] == windows.functions["InOrder"]]
    assert shards_read[:2] == [parent["ShardId"]] * 2
    assert parent["ShardId"] not in shards_read[2:]


def test_a_split_then_a_merge_reads_every_record_once_in_order(windows):
    """Kinesis leaves a parent's records where they are: the children of a split and the
    child of a merge start empty (moto re-wrote or copied the records)."""
    stream = windows.physical("Resharded")

    def put(*numbers):
        windows.kinesis.put_records(StreamName=stream, Records=[
            {"PartitionKey": "k", "Data": f"k-{n}".encode()} for n in numbers])

    def shards():
        return {s["ShardId"]: s for s in windows.kinesis.list_shards(StreamName=stream)["Shards"]}

    put(1, 2)
    [parent] = shards()
    windows.kinesis.split_shard(StreamName=stream, ShardToSplit=parent,
                                NewStartingHashKey=str(2**127))
    put(3, 4)
    low, high = sorted(set(shards()) - {parent})
    windows.kinesis.merge_shards(StreamName=stream, ShardToMerge=low,
                                 AdjacentShardToMerge=high)
    put(5, 6)
    [merged] = set(shards()) - {parent, low, high}
    assert (shards()[merged]["ParentShardId"], shards()[merged]["AdjacentParentShardId"]) == (
        low, high)
    # Each record in exactly one shard: two in the parent, two in a child, two in the merge.
    def records_in(shard_id) -> int:
        iterator = windows.kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON")
        return len(windows.kinesis.get_records(
            ShardIterator=iterator["ShardIterator"])["Records"])

    held = {shard_id: records_in(shard_id) for shard_id in shards()}
    assert sorted(held.values()) == [0, 2, 2, 2] and held[parent] == held[merged] == 2

    [mapping] = windows.lambda_.list_event_source_mappings(
        FunctionName=windows.functions["InOrder"])["EventSourceMappings"]
    windows.lambda_.update_event_source_mapping(UUID=mapping["UUID"], Enabled=True)
    windows.wait(lambda: sum(len(b) for b in windows.lines("InOrder")) >= 6)
    windows.wait_quiet()
    assert [line for batch in windows.lines("InOrder") for line in batch] == [
        f"k k-{n}" for n in range(1, 7)]


def test_parallelization_factor_and_tumbling_window_out_of_range_are_refused(windows):
    from botocore.exceptions import ClientError

    arn = windows.kinesis.describe_stream(
        StreamName=windows.physical("Orders"))["StreamDescription"]["StreamARN"]
    for setting, value, message in (
            ("ParallelizationFactor", 11, "Value '11' at 'parallelizationFactor' failed to "
             "satisfy constraint: Member must have value less than or equal to 10"),
            ("TumblingWindowInSeconds", 901, "Value '901' at 'tumblingWindowInSeconds' failed "
             "to satisfy constraint: Member must have value less than or equal to 900")):
        with pytest.raises(ClientError) as refused:
            windows.lambda_.create_event_source_mapping(
                FunctionName=windows.functions["Slow"], EventSourceArn=arn,
                StartingPosition="LATEST", **{setting: value})
        assert refused.value.response["Error"]["Code"] == "ValidationException"
        assert refused.value.response["Error"]["Message"] == (
            "1 validation error detected: " + message)
    mappings = windows.lambda_.list_event_source_mappings(
        FunctionName=windows.functions["Slow"])["EventSourceMappings"]
    assert len(mappings) == 1 and mappings[0]["ParallelizationFactor"] == 2


# -- tumbling windows -----------------------------------------------------------------------
WINDOW_KEYS = {"Records", "window", "state", "shardId", "eventSourceARN",
               "isFinalInvokeForWindow", "isWindowTerminatedEarly"}


def _window_at_start(lab, learner):
    """Advance the sandbox's clock to one second into a 15-minute window, so a test's records
    share one window whatever the time."""
    now = lab.clock(learner)["now"]
    lab.clock(learner, advance=str(900 - now % 900 + 1))


def _aggregate_events(windows):
    return [d["event"] for d in windows.events(kind="delivery", mode="poll")
            if d["target"] == windows.functions["Aggregate"]]


def test_a_tumbling_window_carries_its_state_and_closes_on_a_clock_advance(
        windows, lab, learner):
    _window_at_start(lab, learner)
    windows.put("Readings", "3", "4", "5")
    windows.wait_quiet()
    events = _aggregate_events(windows)
    assert len(events) == 3  # BatchSize 1: the state carries over three invocations
    assert [e["state"] for e in events] == [{}, {"total": 3, "count": 1},
                                           {"total": 7, "count": 2}]
    for event in events:
        assert set(event) == WINDOW_KEYS and len(event["Records"]) == 1
        assert event["isFinalInvokeForWindow"] is False
        assert event["isWindowTerminatedEarly"] is False
        assert event["shardId"] == "shardId-000000000000"
        assert event["eventSourceARN"].endswith(":stream/" + windows.physical("Readings"))
    window = events[0]["window"]
    assert all(e["window"] == window for e in events)
    start, end = (time.mktime(time.strptime(window[k], "%Y-%m-%dT%H:%M:%SZ")) for k in
                  ("start", "end"))
    assert end - start == 900
    # The window is still open: no final invocation, and the sandbox is quiet meanwhile.
    table = windows.physical("Totals")
    assert windows.dynamodb.scan(TableName=table)["Items"] == []
    lab.clock(learner, advance="15m")
    windows.wait(lambda: len(_aggregate_events(windows)) == 4)
    windows.wait_quiet()
    final = _aggregate_events(windows)[3]
    assert final["Records"] == [] and final["isFinalInvokeForWindow"] is True
    assert final["state"] == {"total": 12, "count": 3} and final["window"] == window
    [item] = windows.dynamodb.scan(TableName=table)["Items"]
    assert item == {"window": {"S": window["start"]}, "total": {"N": "12"},
                    "count": {"N": "3"}, "early": {"BOOL": False}}
    # A record after it opens a new window with a fresh state.
    windows.put("Readings", "6")
    windows.wait_quiet()
    latest = _aggregate_events(windows)[4]
    assert latest["state"] == {} and latest["window"]["start"] == window["end"]


def test_a_window_answer_without_state_is_a_failed_invocation(windows, lab, learner):
    _window_at_start(lab, learner)
    windows.put("Readings", "2", "no-state", "5")
    windows.wait_quiet()
    polls = [d for d in windows.events(kind="delivery", mode="poll")
             if d["target"] == windows.functions["Aggregate"]]
    # "no-state" fails, is retried once (MaximumRetryAttempts: 1) and given up on; the
    # state it could not change goes on to the next record.
    assert [d["outcome"] for d in polls] == ["success", "failure", "failure", "success"]
    assert [d["event"]["state"] for d in polls] == [{}] + [{"total": 2, "count": 1}] * 3
    [discarded] = windows.events(kind="delivery", mode="discarded")
    assert discarded["condition"] == "RetryAttemptsExhausted"


def test_a_state_over_1_mb_ends_the_window_early_and_it_goes_on_fresh(windows, lab, learner):
    _window_at_start(lab, learner)
    windows.put("Readings", "1", "big", "7")
    windows.wait_quiet()
    events = _aggregate_events(windows)
    # 1, big (state > 1 MB) -> final invocation, terminated early -> 7 with a fresh state.
    early = events[2]
    assert early["isFinalInvokeForWindow"] is True and early["isWindowTerminatedEarly"] is True
    assert early["Records"] == [] and early["state"]["total"] == 1
    assert events[3]["state"] == {} and events[3]["window"] == early["window"]
    assert events[3]["isWindowTerminatedEarly"] is False
    [item] = windows.dynamodb.scan(TableName=windows.physical("Totals"))["Items"]
    assert item["early"] == {"BOOL": True} and item["total"] == {"N": "1"}


def test_a_records_key_is_its_partition_key_or_its_item_key():
    from serverless_lab.cloud.awslambda.event_source_mapping.stream_events import record_key

    assert record_key({"kinesis": {"partitionKey": "k-1"}}) == "k-1"
    # An item's key, however its attributes are ordered: the same lane for every change.
    one = {"dynamodb": {"Keys": {"pk": {"S": "a"}, "sk": {"N": "1"}}}}
    other = {"dynamodb": {"Keys": {"sk": {"N": "1"}, "pk": {"S": "a"}}}}
    assert record_key(one) == record_key(other) != record_key(
        {"dynamodb": {"Keys": {"pk": {"S": "b"}, "sk": {"N": "1"}}}})
