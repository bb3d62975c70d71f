"""One learner, one AWS account: isolation and reset."""


import boto3
import pytest
from botocore.exceptions import ClientError


def clients_for(lab, learner):
    found = lab.sandbox(learner)
    c = found["credentials"]
    return found, boto3.Session(
        aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
        aws_session_token=c["SessionToken"], region_name="us-east-1")


def test_same_learner_same_account_different_learners_different_accounts(lab):
    assert lab.sandbox("ada")["account_id"] == lab.sandbox("ada")["account_id"]
    assert lab.sandbox("ada")["account_id"] != lab.sandbox("grace")["account_id"]


def test_credentials_reach_only_their_own_account(lab):
    ada, ada_session = clients_for(lab, "iso-ada")
    grace, grace_session = clients_for(lab, "iso-grace")
    identity = ada_session.client("sts", endpoint_url=ada["endpoint_url"]).get_caller_identity()
    assert identity["Account"] == ada["account_id"]
    ada_db = ada_session.client("dynamodb", endpoint_url=ada["endpoint_url"])
    grace_db = grace_session.client("dynamodb", endpoint_url=grace["endpoint_url"])
    ada_db.create_table(TableName="orders", BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}])
    ada_db.put_item(TableName="orders", Item={"id": {"S": "1"}})
    assert grace_db.list_tables()["TableNames"] == []
    with pytest.raises(ClientError) as refused:
        grace_db.get_item(TableName="orders", Key={"id": {"S": "1"}})
    assert refused.value.response["Error"]["Code"] == "ResourceNotFoundException"
    # Naming ada's table by its ARN does not cross accounts either.
    arn = ada_db.describe_table(TableName="orders")["Table"]["TableArn"]
    with pytest.raises(ClientError):
        grace_db.get_item(TableName=arn, Key={"id": {"S": "1"}})


def test_two_learners_running_the_same_pattern_see_only_their_own_orders(lab):
    from patterns.catalog import pattern_get
    from patterns.runs import run_scenario

    pattern = pattern_get("rest-api")
    for name in ("two-ada", "two-grace"):
        assert run_scenario(client=lab, learner=name, pattern=pattern,
                            scenario=pattern.default_scenario).ok
    for name in ("two-ada", "two-grace"):
        found, session = clients_for(lab, name)
        db = session.client("dynamodb", endpoint_url=found["endpoint_url"])
        tables = db.list_tables()["TableNames"]
        assert len(tables) == 1
        assert db.scan(TableName=tables[0])["Count"] == 2  # this learner's two orders only


def test_reset_empties_one_account_and_leaves_others(lab):
    one, one_session = clients_for(lab, "reset-one")
    two, two_session = clients_for(lab, "reset-two")
    for session, found in ((one_session, one), (two_session, two)):
        session.client("s3", endpoint_url=found["endpoint_url"]).create_bucket(
            Bucket=f"photos-{found['account_id']}")
    result = lab.reset("reset-one")  # how fast: `lab bench` (reset_ms), not a test's window
    assert result["account_id"] == one["account_id"]
    one, one_session = clients_for(lab, "reset-one")  # reset rotated the credentials
    assert one["account_id"] == result["account_id"]
    one_s3 = one_session.client("s3", endpoint_url=one["endpoint_url"])
    assert one_s3.list_buckets()["Buckets"] == []  # same account, data gone
    two_s3 = two_session.client("s3", endpoint_url=two["endpoint_url"])
    assert [b["Name"] for b in two_s3.list_buckets()["Buckets"]] == [
        f"photos-{two['account_id']}"]
    one_s3.create_bucket(Bucket=f"photos-{one['account_id']}")  # the name was freed


def test_invalid_learner_name_is_refused(lab):
    from serverless_lab.cloud.client import LabCloudError

    with pytest.raises(LabCloudError, match="A learner name is"):
        lab.sandbox("no spaces allowed")


def test_invoking_another_learners_function_by_its_arn_is_denied(lab):
    from pathlib import Path

    echo = Path(__file__).parent / "functions" / "echo"
    ada = lab.deploy("arn-ada", str(echo), stack="echo")
    lab.deploy("arn-grace", str(echo), stack="echo")  # grace has a function of the same name
    found, grace = clients_for(lab, "arn-grace")
    ada_arn = (f"arn:aws:lambda:us-east-1:{ada['account_id']}:function:"
               f"{ada['functions']['EchoFunction']}")
    mark = lab.trace("arn-ada", since=2**62)["last_seq"]
    with pytest.raises(ClientError) as denied:
        grace.client("lambda", endpoint_url=found["endpoint_url"]).invoke(FunctionName=ada_arn)
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert [e for e in lab.trace("arn-ada", since=mark)["events"]
            if e["type"] == "invocation"] == []


def test_each_learners_credentials_are_confined_to_their_own_account(lab):
    """S3, SQS and Lambda, beside DynamoDB above: naming the other account's resource
    reaches nothing of it (issue 11)."""
    from pathlib import Path

    ada, ada_session = clients_for(lab, "conf-ada")
    grace, grace_session = clients_for(lab, "conf-grace")
    url = ada["endpoint_url"]
    # S3: bucket names are global, but a bucket answers only its own account.
    bucket = f"notes-{ada['account_id']}"
    ada_session.client("s3", endpoint_url=url).create_bucket(Bucket=bucket)
    ada_session.client("s3", endpoint_url=url).put_object(Bucket=bucket, Key="k", Body=b"ada")
    grace_s3 = grace_session.client("s3", endpoint_url=url)
    for call in (lambda: grace_s3.get_object(Bucket=bucket, Key="k"),
                 lambda: grace_s3.put_object(Bucket=bucket, Key="k", Body=b"grace"),
                 lambda: grace_s3.list_objects_v2(Bucket=bucket)):
        with pytest.raises(ClientError) as denied:
            call()
        assert denied.value.response["Error"]["Code"] == "AccessDenied"
    assert ada_session.client("s3", endpoint_url=url).get_object(
        Bucket=bucket, Key="k")["Body"].read() == b"ada"
    assert grace_s3.list_buckets()["Buckets"] == []
    # SQS: ada's queue URL names her account; grace's call stays in her own.
    ada_sqs = ada_session.client("sqs", endpoint_url=url)
    queue_url = ada_sqs.create_queue(QueueName="jobs")["QueueUrl"]
    grace_sqs = grace_session.client("sqs", endpoint_url=url)
    with pytest.raises(ClientError):
        grace_sqs.send_message(QueueUrl=queue_url, MessageBody="from grace")
    assert "QueueUrls" not in grace_sqs.list_queues()
    assert "Messages" not in ada_sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=0)
    # Lambda: grace's listing has none of ada's functions.
    echo = Path(__file__).parent / "functions" / "echo"
    deployed = lab.deploy("conf-ada", str(echo), stack="echo")
    ada_functions = ada_session.client("lambda", endpoint_url=url).list_functions()["Functions"]
    assert deployed["functions"]["EchoFunction"] in [f["FunctionName"] for f in ada_functions]
    assert grace_session.client("lambda", endpoint_url=url).list_functions()["Functions"] == []
