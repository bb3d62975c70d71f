"""Per-sandbox quotas (issue 11): refused as AWS refuses a limit, and nothing half-done."""

import io
import zipfile

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from serverless_lab.cloud.client import LabCloudError
from serverless_lab.cloud.quotas import Quotas, quotas_from_environment
from tests.cloud.conftest import FUNCTIONS

TINY_MB = 0.001  # 1,048 bytes


def _code_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def _error(raised) -> tuple[str, int, str]:
    response = raised.value.response
    return (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"],
            response["Error"]["Message"])


def test_quotas_come_from_the_environment_and_a_bad_value_names_its_variable():
    assert quotas_from_environment({}) == Quotas()
    assert quotas_from_environment({"LAB_QUOTA_FUNCTIONS": "3", "LAB_QUOTA_STORED_MB": "0.5",
                                    "LAB_QUOTA_ENVIRONMENTS": "2"}) == Quotas(3, 0.5, 2)
    with pytest.raises(ValueError, match="LAB_QUOTA_FUNCTIONS='many': functions is a whole"):
        quotas_from_environment({"LAB_QUOTA_FUNCTIONS": "many"})


def test_settings_set_a_sandboxs_quotas_and_refuse_bad_ones(lab, learner):
    answer = lab.settings(learner, quotas={"functions": 4, "stored_mb": 2})
    assert answer["quotas"] == {"functions": 4, "stored_mb": 2.0,
                                "environments": Quotas().environments}
    for bad in ({"functions": -1}, {"functions": "x"}, {"disk": 1}, {"environments": 1.5}):
        with pytest.raises(LabCloudError, match="quotas|whole number"):
            lab.settings(learner, quotas=bad)
    assert lab.settings(learner)["quotas"]["functions"] == 4  # the refusals changed nothing
    assert lab.settings("someone-else-entirely")["quotas"] == Quotas().as_json()


def test_a_forgotten_sandbox_starts_again_with_the_default_quotas_and_limit(lab, learner):
    # An idle sandbox evicted (reset with forget) comes back as a new one would: the same
    # learner's next sandbox does not inherit the quota or the limit set before.
    lab.settings(learner, quotas={"functions": 1}, concurrency_limit=10)
    lab.reset(learner)
    assert lab.settings(learner)["quotas"]["functions"] == 1  # a plain reset keeps them
    lab.reset(learner, forget=True)
    settings = lab.settings(learner)
    assert settings["quotas"] == Quotas().as_json()
    assert settings["concurrency_limit"] == lab.settings("someone-else-entirely")[
        "concurrency_limit"]


def test_a_deploy_over_the_functions_quota_is_refused_and_leaves_nothing(lab, learner,
                                                                         sandbox):
    lab.settings(learner, quotas={"functions": 1})
    with pytest.raises(LabCloudError,
                       match=r"CodeStorageExceededException: Code storage limit exceeded\."):
        lab.deploy(learner, str(FUNCTIONS / "echo"), stack="echo")  # two functions
    assert sandbox.client("cloudformation").list_stacks()["StackSummaries"] == []
    assert sandbox.client("lambda").list_functions()["Functions"] == []
    assert sandbox.client("apigateway").get_rest_apis()["items"] == []
    lab.settings(learner, quotas={"functions": 2})
    assert set(lab.deploy(learner, str(FUNCTIONS / "echo"), stack="echo")["functions"]) == {
        "EchoFunction", "ProxyFunction"}


def test_create_function_over_the_quota_is_codestorageexceeded(lab, learner, sandbox):
    lab.settings(learner, quotas={"functions": 0})
    role = sandbox.client("iam").create_role(
        RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    with pytest.raises(ClientError) as refused:
        sandbox.client("lambda").create_function(
            FunctionName="one-too-many", Runtime="python3.12", Role=role,
            Handler="app.handler", Code={"ZipFile": _code_zip()})
    assert _error(refused) == ("CodeStorageExceededException", 400,
                               "Code storage limit exceeded.")
    assert sandbox.client("lambda").list_functions()["Functions"] == []


def test_s3_dynamodb_and_sqs_writes_over_the_stored_bytes_quota_are_refused(
        lab, learner, sandbox):
    s3, dynamodb, sqs = (sandbox.client(s) for s in ("s3", "dynamodb", "sqs"))
    s3.create_bucket(Bucket=f"{learner}-b".lower())
    dynamodb.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                          KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    queue = sqs.create_queue(QueueName="q")["QueueUrl"]
    lab.settings(learner, quotas={"stored_mb": TINY_MB})
    s3.put_object(Bucket=f"{learner}-b".lower(), Key="small", Body=b"x" * 600)  # fits

    with pytest.raises(ClientError) as refused:  # 600 + 600 > 1,048
        s3.put_object(Bucket=f"{learner}-b".lower(), Key="big", Body=b"x" * 600)
    code, status, message = _error(refused)
    assert (code, status) == ("QuotaExceeded", 403)
    assert "storage quota is used up" in message and "not of AWS" in message
    with pytest.raises(ClientError) as refused:
        dynamodb.put_item(TableName="t", Item={"id": {"S": "a"}, "text": {"S": "y" * 600}})
    assert _error(refused)[:2] == ("QuotaExceededException", 400)
    with pytest.raises(ClientError) as refused:
        sqs.send_message(QueueUrl=queue, MessageBody="z" * 600)
    assert _error(refused)[:2] == ("OverLimit", 403)

    # Nothing of the refused writes is there.
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=f"{learner}-b".lower())["Contents"]]
    assert keys == ["small"]
    assert dynamodb.scan(TableName="t")["Items"] == []
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"

    # Deleting makes room again: the quota counts what is stored, not what was written.
    s3.delete_object(Bucket=f"{learner}-b".lower(), Key="small")
    sqs.send_message(QueueUrl=queue, MessageBody="z" * 600)


def test_no_environment_left_throttles_as_lambda_does(lab, learner, deploy, sandbox):
    names = deploy("echo")["functions"]
    lab.settings(learner, quotas={"environments": 0})
    found = lab.sandbox(learner)
    # No SDK retries: botocore would retry the throttled call.
    client = boto3.Session().client(
        "lambda", endpoint_url=found["endpoint_url"], region_name="us-east-1",
        aws_access_key_id=found["credentials"]["AccessKeyId"],
        aws_secret_access_key=found["credentials"]["SecretAccessKey"],
        aws_session_token=found["credentials"]["SessionToken"],
        config=Config(retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as throttled:
        client.invoke(FunctionName=names["EchoFunction"], Payload=b"{}")
    assert _error(throttled)[:2] == ("TooManyRequestsException", 429)
    assert throttled.value.response["Reason"] == "ConcurrentInvocationLimitExceeded"
    lab.settings(learner, quotas={"environments": 2})
    assert client.invoke(FunctionName=names["EchoFunction"], Payload=b"{}")["StatusCode"] == 200
