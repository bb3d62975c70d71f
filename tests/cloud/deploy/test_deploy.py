"""Deploying SAM folders: idempotent, and a failure leaves nothing behind."""

import json
import shutil

import pytest

from serverless_lab.cloud.client import LabCloudError
from tests.cloud.conftest import FUNCTIONS
from tests.conftest import trace_mark, wait_quiet


def test_deploy_creates_functions_api_and_stage(deploy, sandbox):
    deployment = deploy("echo")
    assert set(deployment["functions"]) == {"EchoFunction", "ProxyFunction"}
    [api] = deployment["apis"]
    assert api["stage"] == "Prod"
    apigateway = sandbox.client("apigateway")
    paths = {r["path"] for r in apigateway.get_resources(restApiId=api["api_id"])["items"]}
    assert {"/items/{id}", "/items/special", "/files/{proxy+}"} <= paths
    functions = sandbox.client("lambda").list_functions()["Functions"]
    assert {f["FunctionName"] for f in functions} == set(deployment["functions"].values())


def test_same_template_again_keeps_the_stack_and_its_data(lab, learner):
    from patterns.catalog import pattern_get
    from patterns.runs import run_request

    pattern = pattern_get("rest-api")
    first = run_request(client=lab, learner=learner, pattern=pattern, method="POST",
                        path="/orders", body='{"item": "kept"}')
    order_id = first.steps[0].response["json"]["id"]
    again = lab.deploy(learner, str(pattern.folder), stack="rest-api")
    assert again["reused"] is True
    read = run_request(client=lab, learner=learner, pattern=pattern, method="GET",
                       path=f"/orders/{order_id}")
    assert read.steps[0].response["status"] == 200


def test_template_that_does_not_translate_is_refused_and_leaves_nothing(
        lab, learner, sandbox, tmp_path):
    folder = tmp_path / "bad"
    shutil.copytree(FUNCTIONS / "echo", folder)
    (folder / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n"
        "    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: .\n"
        "      Runtime: python3.12\n")  # no Handler
    with pytest.raises(LabCloudError, match="template does not translate.*Handler"):
        lab.deploy(learner, str(folder), stack="bad")
    assert sandbox.client("cloudformation").list_stacks()["StackSummaries"] == []
    assert sandbox.client("lambda").list_functions()["Functions"] == []


def test_unparseable_template_and_missing_code_folder_say_where(lab, learner, tmp_path):
    (tmp_path / "template.yaml").write_text("Resources: [unclosed")
    with pytest.raises(LabCloudError, match=r"template\.yaml"):
        lab.deploy(learner, str(tmp_path), stack="broken")
    (tmp_path / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n"
        "    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: nowhere/\n"
        "      Handler: app.handler\n      Runtime: python3.12\n")
    with pytest.raises(LabCloudError, match="Fn: CodeUri 'nowhere/' is not a folder"):
        lab.deploy(learner, str(tmp_path), stack="broken")


def test_folder_without_template_is_refused(lab, learner, tmp_path):
    with pytest.raises(LabCloudError, match="is not a folder with a template.yaml"):
        lab.deploy(learner, str(tmp_path), stack="empty")


def test_s3_notifications_and_sns_subscriptions_are_applied_and_deliver(lab, learner, deploy,
                                                                        sandbox):
    deployment = deploy("events")
    resources = deployment["resources"]
    bucket = resources["Uploads"]["physical_id"]
    s3 = sandbox.client("s3")
    configured = s3.get_bucket_notification_configuration(Bucket=bucket)
    [lambda_config] = configured["LambdaFunctionConfigurations"]
    assert lambda_config["Filter"]["Key"]["FilterRules"] == [{"Name": "suffix", "Value": ".csv"}]
    mark = trace_mark(lab, learner)
    s3.put_object(Bucket=bucket, Key="in/orders.csv", Body=b"a,b\n")
    s3.put_object(Bucket=bucket, Key="in/photo.png", Body=b"png")  # filtered out
    sandbox.client("sns").publish(TopicArn=resources["Alerts"]["physical_id"], Message="hi")
    wait_quiet(lab, learner)  # S3 and SNS invoke Lambda asynchronously
    table = resources["Seen"]["physical_id"]
    items = sandbox.client("dynamodb").scan(TableName=table)["Items"]
    assert sorted(i["source"]["S"] for i in items) == ["aws:s3", "aws:sns"]
    deliveries = [e for e in lab.trace(learner, since=mark)["events"] if e["type"] == "delivery"]
    assert [(d["source"], d["mode"], d["batch_size"]) for d in deliveries] == [
        ("aws:s3", "async", 1), ("aws:sns", "async", 1)]
    # S3 event keys are URL-encoded, "/" left as it is (moto encodes it; the lab does not).
    assert deliveries[0]["event"]["Records"][0]["s3"]["object"]["key"] == "in/orders.csv"


def test_requirements_are_installed_into_the_function_as_sam_build_does(lab, learner, deploy):
    deploy("deps")
    result = lab.invoke(learner, "deps", "WithDependencies", {})
    assert result["error"] is None
    assert json.loads(result["payload"]) == {"six": "1.16.0"}


def test_a_requirement_that_cannot_be_installed_is_a_located_error(lab, learner, tmp_path):
    folder = tmp_path / "bad-deps"
    shutil.copytree(FUNCTIONS / "deps", folder)
    (folder / "requirements.txt").write_text("no-such-package-serverless-lab==0.0.1\n")
    with pytest.raises(LabCloudError, match=r"requirements\.txt: cannot install"):
        lab.deploy(learner, str(folder), stack="bad-deps")


BUCKET_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  Uploads:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Sub "uploads-${AWS::AccountId}"
  Orders:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: %d
"""


def test_a_changed_stack_with_a_named_bucket_holding_objects_deploys_again(
        lab, learner, sandbox, tmp_path):
    # The lab replaces a changed stack where AWS would update it; a bucket that still held
    # objects used to survive the delete and refuse the new stack its own name.
    (tmp_path / "template.yaml").write_text(BUCKET_TEMPLATE % 30)
    first = lab.deploy(learner, str(tmp_path), stack="named-bucket")
    bucket = first["resources"]["Uploads"]["physical_id"]
    s3 = sandbox.client("s3")
    s3.put_object(Bucket=bucket, Key="uploads/a.txt", Body=b"a")

    (tmp_path / "template.yaml").write_text(BUCKET_TEMPLATE % 60)
    second = lab.deploy(learner, str(tmp_path), stack="named-bucket")

    assert second["resources"]["Uploads"]["physical_id"] == bucket
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0  # replaced, not updated
    queue_url = second["resources"]["Orders"]["physical_id"]
    attributes = sandbox.client("sqs").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["VisibilityTimeout"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "60"
