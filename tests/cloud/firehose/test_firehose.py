"""Amazon Data Firehose: deploy, buffering on the lab clock, object keys, a Kinesis source."""

import base64
import gzip
import json
import re
import time
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError

from serverless_lab.cloud.client import LabCloudError
from serverless_lab.cloud.firehose import config as firehose_config
from serverless_lab.cloud.firehose import moto_patch as firehose_patch
from serverless_lab.cloud.firehose import transform as firehose_transform
from tests.conftest import trace_mark, wait_quiet

# AWS's words. Firehose's error codes and messages for Lambda transformation and S3 delivery
# are tabled in "Monitoring Amazon Data Firehose using CloudWatch Logs"
# (https://docs.aws.amazon.com/firehose/latest/dev/monitoring-with-cloudwatch-logs.html), where
# older copies say "Kinesis Data Firehose" for "Firehose".
JSON_PROCESSING = ("Lambda.JsonProcessingException",
                   "There was an error parsing returned records from the Lambda function. "
                   "Ensure that the returned records follow the status model required by "
                   "Firehose.")
DUPLICATED_RECORD_ID = ("Lambda.DuplicatedRecordId",
                        "Multiple records were returned with the same record ID. Ensure that "
                        "the Lambda function returns unique record IDs for each record.")
MISSING_RECORD_ID = ("Lambda.MissingRecordId",
                     "One or more record Ids were not returned. Ensure that the Lambda function "
                     "returns all received record Ids.")
# The same page's S3 delivery error (S3.AccessDenied); the lab answers CreateDeliveryStream for
# a bucket it cannot reach with it (what AWS's CreateDeliveryStream says then is not known).
BUCKET_ACCESS = ("Access was denied. Ensure that the trust policy for the provided IAM role "
                 "allows Firehose to assume the role, and the access policy allows access to "
                 "the S3 bucket.")
# The lab's wording: AWS's text for a Lambda processor without its LambdaArn is not known.
LAMBDA_ARN_REQUIRED = "LambdaArn is required for a processor of type Lambda."

KEY = re.compile(r"^(?P<prefix>.*?)(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?P<h>\d{2})/"
                 r"(?P<name>.+)-(?P<version>\d+)-(?P<stamp>\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})-"
                 r"(?P<uuid>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")


def test_moto_firehose_internals_the_lab_replaces_are_unchanged():
    assert firehose_patch.signatures_match()


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
    mark = trace_mark(lab, learner)
    client.put_record(DeliveryStreamName="clicks", Record={"Data": b'{"n": 1}'})
    answer = client.put_record_batch(DeliveryStreamName="clicks", Records=[
        {"Data": b'{"n": 2}'}, {"Data": b'{"n": 3}'}])
    assert answer["FailedPutCount"] == 0 and len(answer["RequestResponses"]) == 2
    # Buffered, not in flight: the sandbox is quiet and nothing reached S3.
    wait_quiet(lab, learner)
    assert _objects(sandbox, bucket) == []
    assert _deliveries(lab, learner, mark) == []

    # 50 s of the 60: short by more than a loaded machine's real seconds can make up.
    lab.clock(learner, advance="50s")
    wait_quiet(lab, learner)
    assert _objects(sandbox, bucket) == []

    lab.clock(learner, advance="11s")
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
    mark = trace_mark(lab, learner)
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
    mark = trace_mark(lab, learner)
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
    assert refused.value.response["Error"]["Message"] == BUCKET_ACCESS
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


# -- data transformation with a Lambda processor -------------------------------------------------

def _transformed_stream(sandbox, deployment, name, function_output, *, parameters=(),
                        **destination):
    """A direct PUT stream whose records deployment's `function_output` function transforms."""
    sandbox.client("firehose").create_delivery_stream(
        DeliveryStreamName=name, DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration={
            "BucketARN": f"arn:aws:s3:::{deployment['resources']['Archive']['physical_id']}",
            "RoleARN": deployment["outputs"]["RoleArn"],
            "ProcessingConfiguration": {"Enabled": True, "Processors": [{
                "Type": "Lambda", "Parameters": [
                    {"ParameterName": "LambdaArn",
                     "ParameterValue": deployment["outputs"][function_output]},
                    *({"ParameterName": k, "ParameterValue": v} for k, v in parameters)]}]},
            **destination})
    return deployment["resources"]["Archive"]["physical_id"]


def _failure_documents(sandbox, bucket, key):
    body = sandbox.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    assert body.endswith(b"\n")
    return [json.loads(line) for line in body.decode().splitlines()]


def test_a_lambda_processor_transforms_drops_and_fails_records(deploy, lab, learner, sandbox):
    deployment = deploy("firehose-transform")
    transform_arn = deployment["outputs"]["TransformArn"]
    bucket = _transformed_stream(sandbox, deployment, "clean", "TransformArn",
                                 parameters=[("BufferIntervalInSeconds", "30")],
                                 Prefix="clean/",
                                 BufferingHints={"IntervalInSeconds": 60, "SizeInMBs": 1})
    mark = trace_mark(lab, learner)
    put_at = lab.clock(learner)["now"]
    answer = sandbox.client("firehose").put_record_batch(DeliveryStreamName="clean", Records=[
        {"Data": b"home"}, {"Data": b"bot crawl"}, {"Data": b"bad record"}, {"Data": b"docs"}])
    put_done = lab.clock(learner)["now"]
    assert answer["FailedPutCount"] == 0
    wait_quiet(lab, learner)  # the processor's buffer waits for its 30 seconds
    assert _deliveries(lab, learner, mark) == []

    lab.clock(learner, advance="31s")
    wait_quiet(lab, learner)
    [hop] = _deliveries(lab, learner, mark)
    function = transform_arn.split(":")[6]
    assert (hop["target"], hop["mode"], hop["batch_size"], hop["attempt"]) == (
        function, "sync", 4, 1)
    assert hop["outcome"] == "success"
    assert hop["results"] == {"Ok": 2, "Dropped": 1, "ProcessingFailed": 1}
    event = hop["event"]
    assert list(event) == ["invocationId", "deliveryStreamArn", "region", "records"]
    assert event["deliveryStreamArn"] == \
        f"arn:aws:firehose:us-east-1:{sandbox.account_id}:deliverystream/clean"
    assert event["region"] == "us-east-1"
    records = event["records"]
    assert [base64.b64decode(r["data"]) for r in records] == [
        b"home", b"bot crawl", b"bad record", b"docs"]
    assert [r["recordId"] for r in records] == [r["RecordId"]
                                                for r in answer["RequestResponses"]]
    # Arrived while the put was under way, on the sandbox's clock (in milliseconds).
    assert all(put_at - 0.001 <= r["approximateArrivalTimestamp"] / 1000 <= put_done + 0.001
               for r in records)
    assert all("kinesisRecordMetadata" not in r for r in records)
    invocations = [e for e in lab.trace(learner, since=hop["seq"])["events"]
                   if e["type"] == "invocation"]
    assert [i["function_name"] for i in invocations] == [function]
    assert "4 records from" in invocations[0]["logs"]
    assert _objects(sandbox, bucket) == []  # transformed, waiting in the S3 buffer

    lab.clock(learner, advance="60s")
    wait_quiet(lab, learner)
    [delivered] = _objects(sandbox, bucket, "clean/2")
    body = sandbox.client("s3").get_object(Bucket=bucket, Key=delivered)["Body"].read()
    assert body == b"HOME\nDOCS\n"  # Ok transformed, the bot view Dropped
    [failed] = _objects(sandbox, bucket, "clean/processing-failed/")
    assert KEY.match(failed)["prefix"] == "clean/processing-failed/"
    assert KEY.match(failed)["name"] == "clean"
    [document] = _failure_documents(sandbox, bucket, failed)
    assert list(document) == ["attemptsMade", "arrivalTimestamp", "errorCode", "errorMessage",
                              "attemptEndingTimestamp", "rawData", "lambdaARN"]
    assert document["attemptsMade"] == 1
    assert document["errorCode"] == "Lambda.ProcessingFailedStatus"
    assert document["errorMessage"] == "ProcessingFailed status set for record"
    assert base64.b64decode(document["rawData"]) == b"bad record"
    assert document["lambdaARN"] == transform_arn
    assert put_at - 0.001 <= document["arrivalTimestamp"] / 1000 <= put_done + 0.001
    assert document["attemptEndingTimestamp"] >= document["arrivalTimestamp"] + 30_000
    to_s3 = [(d["target"], d["batch_size"], d["key"], d.get("error_output_type"))
             for d in _deliveries(lab, learner, mark) if d["mode"] == "async"]
    assert sorted(to_s3, key=str) == sorted([(bucket, 2, delivered, None),
                                             (bucket, 1, failed, "processing-failed")],
                                            key=str)


def test_a_function_that_raises_is_retried_then_the_batch_is_processing_failed(
        deploy, lab, learner, sandbox):
    deployment = deploy("firehose-transform")
    broken_arn = deployment["outputs"]["BrokenArn"]
    bucket = _transformed_stream(
        sandbox, deployment, "fragile", "BrokenArn",
        parameters=[("NumberOfRetries", "2"), ("BufferIntervalInSeconds", "0")],
        Prefix="ok/!{timestamp:yyyy}/",
        ErrorOutputPrefix="errors/!{firehose:error-output-type}/!{timestamp:yyyy}/",
        BufferingHints={"IntervalInSeconds": 0, "SizeInMBs": 1})
    mark = trace_mark(lab, learner)
    sandbox.client("firehose").put_record_batch(DeliveryStreamName="fragile", Records=[
        {"Data": b"one"}, {"Data": b"two"}])
    wait_quiet(lab, learner)  # zero intervals: invoked, retried and written at once
    hops = [d for d in _deliveries(lab, learner, mark) if d["mode"] == "sync"]
    assert [(h["attempt"], h["outcome"], h["error_code"]) for h in hops] == [
        (n, "failure", "Lambda.FunctionError") for n in (1, 2, 3)]  # 1 + NumberOfRetries
    invocations = [e for e in lab.trace(learner, since=mark)["events"]
                   if e["type"] == "invocation"]
    assert len(invocations) == 3 and all(i["error"] for i in invocations)
    assert _objects(sandbox, bucket, "ok/") == []
    year = time.strftime("%Y", time.gmtime(lab.clock(learner)["now"]))
    [failed] = _objects(sandbox, bucket, "errors/")
    assert failed.startswith(f"errors/processing-failed/{year}/fragile-1-")
    documents = _failure_documents(sandbox, bucket, failed)
    assert [base64.b64decode(d["rawData"]) for d in documents] == [b"one", b"two"]
    assert {(d["attemptsMade"], d["errorCode"], d["errorMessage"], d["lambdaARN"])
            for d in documents} == {(3, "Lambda.FunctionError",
                                     "The Lambda function was successfully invoked but it "
                                     "returned an error result.", broken_arn)}


def test_an_answer_missing_a_record_fails_the_batch_without_retries(
        deploy, lab, learner, sandbox):
    deployment = deploy("firehose-transform")
    bucket = _transformed_stream(
        sandbox, deployment, "forgetful", "ForgetfulArn",
        parameters=[("BufferIntervalInSeconds", "0")],
        BufferingHints={"IntervalInSeconds": 0, "SizeInMBs": 1})
    mark = trace_mark(lab, learner)
    sandbox.client("firehose").put_record_batch(DeliveryStreamName="forgetful", Records=[
        {"Data": b"a"}, {"Data": b"b"}])
    wait_quiet(lab, learner)
    [hop] = [d for d in _deliveries(lab, learner, mark) if d["mode"] == "sync"]
    assert hop["error_code"] == "Lambda.MissingRecordId"
    assert [k for k in _objects(sandbox, bucket) if "processing-failed" not in k] == []
    [failed] = _objects(sandbox, bucket, "processing-failed/")
    assert re.match(r"^processing-failed/\d{4}/\d{2}/\d{2}/\d{2}/forgetful-1-", failed)
    documents = _failure_documents(sandbox, bucket, failed)
    assert [(d["errorCode"], d["attemptsMade"]) for d in documents] == [
        ("Lambda.MissingRecordId", 1)] * 2


def test_a_kinesis_source_gives_the_function_its_record_metadata(deploy, lab, learner,
                                                                    sandbox):
    deployment = deploy("firehose-transform")
    views = deployment["resources"]["Views"]["physical_id"]
    archive = deployment["resources"]["ViewsArchive"]["physical_id"]
    bucket = deployment["resources"]["Archive"]["physical_id"]
    described = sandbox.client("firehose").describe_delivery_stream(
        DeliveryStreamName=archive)["DeliveryStreamDescription"]
    processing = described["Destinations"][0]["ExtendedS3DestinationDescription"][
        "ProcessingConfiguration"]
    assert processing["Enabled"] and processing["Processors"][0]["Type"] == "Lambda"
    mark = trace_mark(lab, learner)
    put = sandbox.client("kinesis").put_record(StreamName=views, PartitionKey="session-1",
                                               Data=b"home")
    wait_quiet(lab, learner)
    lab.clock(learner, advance="61s")  # the processor's 60 seconds
    wait_quiet(lab, learner)
    [hop] = _deliveries(lab, learner, mark)
    event = hop["event"]
    assert list(event) == ["invocationId", "sourceKinesisStreamArn", "deliveryStreamArn",
                           "region", "records"]
    assert event["sourceKinesisStreamArn"] == \
        f"arn:aws:kinesis:us-east-1:{sandbox.account_id}:stream/{views}"
    [record] = event["records"]
    metadata = record["kinesisRecordMetadata"]
    assert (metadata["shardId"], metadata["partitionKey"], metadata["sequenceNumber"]) == (
        put["ShardId"], "session-1", put["SequenceNumber"])
    assert isinstance(metadata["approximateArrivalTimestamp"], int)
    assert _objects(sandbox, bucket, "views/") == []
    lab.clock(learner, advance="60s")  # then the S3 buffer's 60 seconds
    wait_quiet(lab, learner)
    [key] = _objects(sandbox, bucket, "views/")
    assert sandbox.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read() == b"HOME\n"


@pytest.mark.parametrize(("parameters", "message"), [
    ([], LAMBDA_ARN_REQUIRED),
    ([("LambdaArn", "arn:aws:lambda:us-east-1:123456789012:function:f"),
      ("BufferSizeInMBs", "4")], "BufferSizeInMBs must be between 0.2 and 3.0"),
    ([("LambdaArn", "arn:aws:lambda:us-east-1:123456789012:function:f"),
      ("BufferIntervalInSeconds", "901")], "BufferIntervalInSeconds must be between 0 and 900"),
])
def test_a_lambda_processor_is_checked(sandbox, parameters, message):
    sandbox.client("s3").create_bucket(Bucket=f"checked-{sandbox.account_id}")
    client = sandbox.client("firehose")
    with pytest.raises(ClientError) as refused:
        client.create_delivery_stream(DeliveryStreamName="checked",
                                      ExtendedS3DestinationConfiguration={
            "BucketARN": f"arn:aws:s3:::checked-{sandbox.account_id}",
            "RoleARN": f"arn:aws:iam::{sandbox.account_id}:role/firehose-delivery",
            "ProcessingConfiguration": {"Enabled": True, "Processors": [{
                "Type": "Lambda", "Parameters": [
                    {"ParameterName": k, "ParameterValue": v} for k, v in parameters]}]}})
    assert refused.value.response["Error"]["Code"] == "InvalidArgumentException"
    assert message in refused.value.response["Error"]["Message"]
    assert client.list_delivery_streams()["DeliveryStreamNames"] == []


def _arrivals(*ids):
    return [firehose_transform.Arrival(b"x", 1.0, i) for i in ids]


@pytest.mark.parametrize(("payload", "expected"), [
    ("null", JSON_PROCESSING),
    ('{"records": "none"}', JSON_PROCESSING),
    ('{"records": [{"recordId": "a", "result": "Fine", "data": "eA=="}, '
     '{"recordId": "b", "result": "Ok", "data": "eA=="}]}', JSON_PROCESSING),
    ('{"records": [{"recordId": "a", "result": "Ok"}, '
     '{"recordId": "b", "result": "Dropped"}]}', JSON_PROCESSING),
    ('{"records": [{"recordId": "a", "result": "Ok", "data": "eA=="}, '
     '{"recordId": "a", "result": "Ok", "data": "eA=="}]}',
     DUPLICATED_RECORD_ID),
    ('{"records": [{"recordId": "a", "result": "Ok", "data": "eA=="}]}',
     MISSING_RECORD_ID),
    ('{"records": [{"recordId": "a", "result": "Ok", "data": "eA=="}, '
     '{"recordId": "c", "result": "Ok", "data": "eA=="}]}',
     MISSING_RECORD_ID),
])
def test_an_answer_that_breaks_the_status_model_fails_the_batch(payload, expected):
    assert firehose_transform.outcome_of(payload, _arrivals("a", "b")) == expected


def test_batches_stay_under_the_synchronous_payload_limit():
    records = [firehose_transform.Arrival(b"x" * (900 * 1024), 1.0, str(n)) for n in range(12)]
    batches = firehose_transform.batches(records)
    # 900 KiB is 1,228,800 bytes in base64: five fit in 6 MiB, six do not.
    assert [len(b) for b in batches] == [5, 5, 2]
    assert all(len(json.dumps({"records": [firehose_transform.event_record(r) for r in b]}))
               < firehose_transform.PAYLOAD_LIMIT for b in batches)
