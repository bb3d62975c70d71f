"""Amazon Data Firehose: deploy, buffering on the lab clock, object keys, a Kinesis source."""

import gzip
import re
import time
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError

from serverless_lab.cloud import firehose, firehose_config
from serverless_lab.cloud.client import LabCloudError
from tests.conftest import wait_quiet

KEY = re.compile(r"^(?P<prefix>.*?)(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?P<h>\d{2})/"
                 r"(?P<name>.+)-(?P<version>\d+)-(?P<stamp>\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})-"
                 r"(?P<uuid>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")


def test_moto_firehose_internals_the_lab_replaces_are_unchanged():
    assert firehose.signatures_match()


def _bucket_and_stream(sandbox, name, **destination):
    s3 = sandbox.client("s3")
    bucket = f"archive-{sandbox.account_id}-{name.lower()}"
    s3.create_bucket(Bucket=bucket)
    sandbox.client("firehose").create_delivery_stream(
        DeliveryStreamName=name, DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration={
            "BucketARN": f"arn:aws:s3:::{bucket}",
            "RoleARN": f"arn:aws:iam::{sandbox.account_id}:role/firehose-delivery",
            **destination})
    return bucket


def _objects(sandbox, bucket, prefix=""):
    listed = sandbox.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix)
    return [o["Key"] for o in listed.get("Contents", [])]


def _deliveries(lab, learner, mark):
    return [e for e in lab.trace(learner, since=mark)["events"]
            if e["type"] == "delivery" and e["source"] == "aws:firehose"]


def test_deploy_creates_the_delivery_streams(deploy, sandbox):
    deployment = deploy("firehose")
    archive = deployment["resources"]["ViewsArchive"]
    assert archive["type"] == "AWS::KinesisFirehose::DeliveryStream"
    assert deployment["outputs"]["ArchiveStreamName"] == archive["physical_id"]
    assert archive["physical_id"].startswith("firehose-ViewsArchive-")
    client = sandbox.client("firehose")
    described = client.describe_delivery_stream(
        DeliveryStreamName=archive["physical_id"])["DeliveryStreamDescription"]
    assert described["DeliveryStreamStatus"] == "ACTIVE"
    assert described["DeliveryStreamType"] == "KinesisStreamAsSource"
    views = deployment["resources"]["Views"]["physical_id"]
    assert described["Source"]["KinesisStreamSourceDescription"]["KinesisStreamARN"] == \
        f"arn:aws:kinesis:us-east-1:{sandbox.account_id}:stream/{views}"
    destination = described["Destinations"][0]["ExtendedS3DestinationDescription"]
    bucket = deployment["resources"]["Archive"]["physical_id"]
    assert destination["BucketARN"] == f"arn:aws:s3:::{bucket}"
    assert destination["BufferingHints"] == {"IntervalInSeconds": 120, "SizeInMBs": 1}
    assert destination["CompressionFormat"] == "GZIP"
    direct = deployment["resources"]["DirectArchive"]["physical_id"]
    assert deployment["outputs"]["DirectStreamArn"] == \
        f"arn:aws:firehose:us-east-1:{sandbox.account_id}:deliverystream/{direct}"
    described = client.describe_delivery_stream(DeliveryStreamName=direct)
    destination = described["DeliveryStreamDescription"]["Destinations"][0]
    # AWS's defaults, filled in as DescribeDeliveryStream shows them.
    assert destination["S3DestinationDescription"]["BufferingHints"] == {
        "IntervalInSeconds": 300, "SizeInMBs": 5}
    assert sorted(client.list_delivery_streams()["DeliveryStreamNames"]) == sorted(
        [archive["physical_id"], direct])


def test_records_wait_in_the_buffer_until_the_interval_passes_on_the_lab_clock(
        lab, learner, sandbox):
    bucket = _bucket_and_stream(sandbox, "clicks", Prefix="clicks/",
                                BufferingHints={"IntervalInSeconds": 60, "SizeInMBs": 1})
    client = sandbox.client("firehose")
    mark = lab.trace(learner, since=2**62)["last_seq"]
    client.put_record(DeliveryStreamName="clicks", Record={"Data": b'{"n": 1}'})
    answer = client.put_record_batch(DeliveryStreamName="clicks", Records=[
        {"Data": b'{"n": 2}'}, {"Data": b'{"n": 3}'}])
    assert answer["FailedPutCount"] == 0 and len(answer["RequestResponses"]) == 2
    # Buffered, not in flight: the sandbox is quiet and nothing reached S3.
    wait_quiet(lab, learner, timeout=2)
    assert _objects(sandbox, bucket) == []
    assert _deliveries(lab, learner, mark) == []

    lab.clock(learner, advance="59s")
    wait_quiet(lab, learner)
    assert _objects(sandbox, bucket) == []

    lab.clock(learner, advance="2s")
    wait_quiet(lab, learner)
    keys = _objects(sandbox, bucket)
    assert len(keys) == 1
    body = sandbox.client("s3").get_object(Bucket=bucket, Key=keys[0])["Body"].read()
    assert body == b'{"n": 1}{"n": 2}{"n": 3}'  # as they came, no delimiter added
    delivered = _deliveries(lab, learner, mark)
    assert [(d["target"], d["batch_size"], d["key"], d["event"]["reason"])
            for d in delivered] == [(bucket, 3, keys[0], "interval")]
    calls = [e for e in lab.trace(learner, since=mark)["events"] if e["type"] == "api_call"
             and e["operation"] == "PutObject"]
    assert [c["caller"] for c in calls] == ["aws-service"]


def test_the_size_threshold_delivers_without_waiting(lab, learner, sandbox):
    bucket = _bucket_and_stream(sandbox, "bulk",
                                BufferingHints={"IntervalInSeconds": 900, "SizeInMBs": 1})
    client = sandbox.client("firehose")
    chunk = b"x" * (400 * 1024)
    client.put_record_batch(DeliveryStreamName="bulk", Records=[{"Data": chunk}] * 2)
    wait_quiet(lab, learner)
    assert _objects(sandbox, bucket) == []  # 800 KiB: under 1 MiB
    mark = lab.trace(learner, since=2**62)["last_seq"]
    client.put_record(DeliveryStreamName="bulk", Record={"Data": chunk})
    wait_quiet(lab, learner)
    keys = _objects(sandbox, bucket)
    assert len(keys) == 1
    body = sandbox.client("s3").get_object(Bucket=bucket, Key=keys[0])["Body"].read()
    assert body == chunk * 3
    assert [d["event"]["reason"] for d in _deliveries(lab, learner, mark)] == ["size"]


def test_object_keys_follow_aws_format_and_gzip_compresses(lab, learner, sandbox):
    bucket = _bucket_and_stream(sandbox, "logs-stream", CompressionFormat="GZIP",
                                BufferingHints={"IntervalInSeconds": 0, "SizeInMBs": 1})
    before = lab.clock(learner)["now"]
    sandbox.client("firehose").put_record(DeliveryStreamName="logs-stream",
                                          Record={"Data": b"line one\n"})
    wait_quiet(lab, learner)  # a zero interval delivers at once
    keys = _objects(sandbox, bucket)
    assert len(keys) == 1
    found = KEY.match(keys[0])
    assert found, keys[0]
    assert found["prefix"] == "" and found["name"] == "logs-stream" and found["version"] == "1"
    moment = datetime.strptime(found["stamp"], "%Y-%m-%d-%H-%M-%S").replace(tzinfo=UTC)
    assert before - 1 <= moment.timestamp() <= before + 5
    assert (found["y"], found["m"], found["d"], found["h"]) == (
        f"{moment:%Y}", f"{moment:%m}", f"{moment:%d}", f"{moment:%H}")
    body = sandbox.client("s3").get_object(Bucket=bucket, Key=keys[0])["Body"].read()
    assert gzip.decompress(body) == b"line one\n"


@pytest.mark.parametrize(("prefix", "expected"), [
    ("", "2018/08/27/10/"),
    ("myPrefix/", "myPrefix/2018/08/27/10/"),
    ("myPrefix/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/"
     "hour=!{timestamp:HH}/", "myPrefix/year=2018/month=08/day=27/hour=10/"),
    ("logs/!{timestamp:'y='yyyy}/", "logs/y=2018/"),
])
def test_prefixes_evaluate_as_firehose_does(prefix, expected):
    moment = datetime(2018, 8, 27, 10, 30, tzinfo=UTC)
    assert firehose_config.evaluated_prefix(prefix, moment, lambda: "r") == expected


def test_a_kinesis_source_is_read_by_the_delivery_stream(deploy, lab, learner, sandbox):
    deployment = deploy("firehose")
    views = deployment["resources"]["Views"]["physical_id"]
    archive = deployment["resources"]["ViewsArchive"]["physical_id"]
    bucket = deployment["resources"]["Archive"]["physical_id"]
    kinesis = sandbox.client("kinesis")
    mark = lab.trace(learner, since=2**62)["last_seq"]
    for n in range(3):  # one partition key: one shard, in order
        kinesis.put_record(StreamName=views, PartitionKey="session-1",
                           Data=f'{{"view": {n}}}\n'.encode())
    wait_quiet(lab, learner)  # the reader has read them (it reads every second)
    assert _objects(sandbox, bucket, "views/") == []
    # Firehose reads the stream itself: a direct put is refused, as on AWS.
    with pytest.raises(ClientError) as refused:
        sandbox.client("firehose").put_record(DeliveryStreamName=archive,
                                              Record={"Data": b"x"})
    assert refused.value.response["Error"]["Code"] == "InvalidArgumentException"
    assert refused.value.response["Error"]["Message"] == \
        "This operation is not permitted on KinesisStreamAsSource delivery stream type."

    lab.clock(learner, advance="2m")
    wait_quiet(lab, learner)
    keys = _objects(sandbox, bucket, "views/")
    assert len(keys) == 1 and keys[0].startswith("views/")
    assert KEY.match(keys[0])["name"] == archive
    body = sandbox.client("s3").get_object(Bucket=bucket, Key=keys[0])["Body"].read()
    assert gzip.decompress(body) == b'{"view": 0}\n{"view": 1}\n{"view": 2}\n'
    [delivered] = _deliveries(lab, learner, mark)
    assert (delivered["target"], delivered["batch_size"], delivered["delivery_stream"]) == (
        bucket, 3, archive)


def test_a_missing_bucket_is_refused_and_nothing_is_left(deploy, lab, learner, sandbox):
    client = sandbox.client("firehose")
    with pytest.raises(ClientError) as refused:
        client.create_delivery_stream(
            DeliveryStreamName="nowhere",
            S3DestinationConfiguration={
                "BucketARN": "arn:aws:s3:::lab-no-such-bucket-anywhere",
                "RoleARN": f"arn:aws:iam::{sandbox.account_id}:role/firehose-delivery"})
    assert refused.value.response["Error"]["Code"] == "InvalidArgumentException"
    assert refused.value.response["Error"]["Message"] == firehose_config.BUCKET_ACCESS
    assert client.list_delivery_streams()["DeliveryStreamNames"] == []

    with pytest.raises(LabCloudError) as failed:
        deploy("firehose-broken")
    assert "Lost" in str(failed.value) and "InvalidArgumentException" in str(failed.value)
    assert client.list_delivery_streams()["DeliveryStreamNames"] == []  # Fine is gone too
    with pytest.raises(ClientError):
        sandbox.client("cloudformation").describe_stack_resources(StackName="firehose-broken")
    buckets = [b["Name"] for b in sandbox.client("s3").list_buckets()["Buckets"]]
    assert not [b for b in buckets if "kept" in b.lower()]


def test_buffering_hints_are_checked_as_firehose_does(sandbox):
    sandbox.client("s3").create_bucket(Bucket=f"hints-{sandbox.account_id}")
    destination = {"BucketARN": f"arn:aws:s3:::hints-{sandbox.account_id}",
                   "RoleARN": f"arn:aws:iam::{sandbox.account_id}:role/firehose-delivery"}
    client = sandbox.client("firehose")
    with pytest.raises(ClientError) as too_big:
        client.create_delivery_stream(DeliveryStreamName="big", S3DestinationConfiguration={
            **destination, "BufferingHints": {"SizeInMBs": 129, "IntervalInSeconds": 60}})
    assert too_big.value.response["Error"]["Code"] == "ValidationException"
    assert "Member must have value less than or equal to 128" in \
        too_big.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as alone:
        client.create_delivery_stream(DeliveryStreamName="alone", S3DestinationConfiguration={
            **destination, "BufferingHints": {"SizeInMBs": 10}})
    assert alone.value.response["Error"]["Code"] == "InvalidArgumentException"
    assert client.list_delivery_streams()["DeliveryStreamNames"] == []


def test_a_buffer_flushes_in_real_time_too(lab, learner, sandbox):
    """The lab clock runs in real time: a one-second interval delivers without an advance."""
    bucket = _bucket_and_stream(sandbox, "fast",
                                BufferingHints={"IntervalInSeconds": 1, "SizeInMBs": 1})
    sandbox.client("firehose").put_record(DeliveryStreamName="fast", Record={"Data": b"a"})
    deadline = time.monotonic() + 10
    while not _objects(sandbox, bucket):
        assert time.monotonic() < deadline, "the buffer was never delivered"
        time.sleep(0.1)
