"""A handler's AWS calls are checked against its execution role (serverless_lab/cloud/iam):
the missing permission people meet on AWS, with AWS's own error."""

import pytest
from botocore.exceptions import ClientError

from tests.conftest import trace_mark


def test_a_read_only_role_gets_items_but_its_put_is_refused_with_awss_message(
        permissions, sandbox):
    assert permissions.call("ReaderFunction", "get", id="o-1") == {"result": None}

    refused = permissions.call("ReaderFunction", "put", id="o-1")

    # AWS's wording for an implicit deny by identity-based policy:
    # https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
    assert refused == {
        "error": "AccessDeniedException", "status": 400,
        "message": f"User: {permissions.caller_arn('ReaderFunction')} is not authorized to "
                   f"perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:"
                   f"{permissions.account_id}:table/{permissions.table} because no "
                   f"identity-based policy allows the dynamodb:PutItem action"}
    stored = sandbox.client("dynamodb").get_item(TableName=permissions.table,
                                                 Key={"id": {"S": "o-1"}})
    assert "Item" not in stored


def test_the_session_in_the_refusal_is_the_function_name(permissions):
    name = permissions.functions["ReaderFunction"]
    role = permissions.role_name("ReaderFunction")

    identity = permissions.call("ReaderFunction", "identity")["result"]

    assert identity == f"arn:aws:sts::{permissions.account_id}:assumed-role/{role}/{name}"


def test_adding_the_permission_with_put_role_policy_lets_it_write_and_removing_it_stops_it(
        permissions, sandbox):
    iam = sandbox.client("iam")
    role = permissions.role_name("ReaderFunction")
    assert permissions.call("ReaderFunction", "put", id="o-2")["error"] == \
        "AccessDeniedException"

    iam.put_role_policy(RoleName=role, PolicyName="write-orders", PolicyDocument=(
        '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": '
        f'"dynamodb:PutItem", "Resource": "arn:aws:dynamodb:us-east-1:{permissions.account_id}'
        f':table/{permissions.table}"}}]}}'))

    assert permissions.call("ReaderFunction", "put", id="o-2") == {"result": "put"}
    assert sandbox.client("dynamodb").get_item(
        TableName=permissions.table, Key={"id": {"S": "o-2"}})["Item"] == {"id": {"S": "o-2"}}

    iam.delete_role_policy(RoleName=role, PolicyName="write-orders")

    assert permissions.call("ReaderFunction", "put", id="o-3")["error"] == \
        "AccessDeniedException"


def test_attaching_an_aws_managed_policy_lets_it_write(permissions, sandbox):
    iam = sandbox.client("iam")
    role = permissions.role_name("ReaderFunction")

    iam.attach_role_policy(RoleName=role,
                           PolicyArn="arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess")

    assert permissions.call("ReaderFunction", "put", id="o-4") == {"result": "put"}
    iam.detach_role_policy(RoleName=role,
                           PolicyArn="arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess")
    assert permissions.call("ReaderFunction", "put", id="o-5")["error"] == \
        "AccessDeniedException"


def test_an_explicit_deny_beats_the_allow(permissions, sandbox):
    assert permissions.call("DenyDeleteFunction", "put", id="o-6") == {"result": "put"}

    refused = permissions.call("DenyDeleteFunction", "delete", id="o-6")

    assert refused["error"] == "AccessDeniedException"
    assert refused["message"] == (
        f"User: {permissions.caller_arn('DenyDeleteFunction')} is not authorized to perform: "
        f"dynamodb:DeleteItem on resource: arn:aws:dynamodb:us-east-1:{permissions.account_id}"
        f":table/{permissions.table} with an explicit deny in an identity-based policy")
    assert "Item" in sandbox.client("dynamodb").get_item(TableName=permissions.table,
                                                         Key={"id": {"S": "o-6"}})


def test_a_wildcard_resource_and_action_allow_case_insensitively_and_no_further(permissions):
    assert permissions.call("WildcardFunction", "put", id="o-7") == {"result": "put"}
    assert permissions.call("WildcardFunction", "get", id="o-7") == {
        "result": {"id": {"S": "o-7"}}}

    assert permissions.call("WildcardFunction", "delete", id="o-7")["error"] == \
        "AccessDeniedException"
    batch = permissions.call("WildcardFunction", "batch-write", id="o-8")
    assert batch["error"] == "AccessDeniedException"
    assert "dynamodb:BatchWriteItem" in batch["message"]


def test_sending_to_a_queue_without_sqs_send_message_is_refused(permissions, sandbox):
    refused = permissions.call("ReaderFunction", "send")

    queue_arn = (f"arn:aws:sqs:us-east-1:{permissions.account_id}:"
                 f"{permissions.queue_url.rsplit('/', 1)[-1]}")
    # SQS names the action in lower case (seen in aws/serverless-application-model#3633).
    assert refused == {
        "error": "AccessDenied", "status": 403,
        "message": f"User: {permissions.caller_arn('ReaderFunction')} is not authorized to "
                   f"perform: sqs:sendmessage on resource: {queue_arn} because no "
                   f"identity-based policy allows the sqs:sendmessage action"}
    attributes = sandbox.client("sqs").get_queue_attributes(
        QueueUrl=permissions.queue_url, AttributeNames=["ApproximateNumberOfMessages"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "0"


def test_putting_an_object_without_s3_put_object_is_refused(permissions, sandbox):
    refused = permissions.call("ReaderFunction", "upload", key="in/a.txt")

    # S3 quotes the resource: https://docs.aws.amazon.com/AmazonS3/latest/userguide/troubleshoot-403-errors.html
    assert refused == {
        "error": "AccessDenied", "status": 403,
        "message": f"User: {permissions.caller_arn('ReaderFunction')} is not authorized to "
                   f"perform: s3:PutObject on resource: \"arn:aws:s3:::{permissions.bucket}/"
                   f"in/a.txt\" because no identity-based policy allows the s3:PutObject "
                   f"action"}
    listed = sandbox.client("s3").list_objects_v2(Bucket=permissions.bucket)
    assert listed["KeyCount"] == 0


def test_the_basic_execution_role_is_attached_and_calls_the_lab_does_not_name_are_allowed(
        permissions, sandbox):
    attached = sandbox.client("iam").list_attached_role_policies(
        RoleName=permissions.role_name("BasicFunction"))["AttachedPolicies"]

    assert [p["PolicyName"] for p in attached] == ["AWSLambdaBasicExecutionRole"]
    assert permissions.call("BasicFunction", "identity")["result"].endswith(
        "/" + permissions.functions["BasicFunction"])
    assert permissions.call("BasicFunction", "get", id="x")["error"] == "AccessDeniedException"


def test_the_learners_own_credentials_are_never_refused(permissions, sandbox):
    dynamodb = sandbox.client("dynamodb")

    dynamodb.put_item(TableName=permissions.table, Item={"id": {"S": "mine"}})
    dynamodb.delete_item(TableName=permissions.table, Key={"id": {"S": "mine"}})
    sandbox.client("sqs").send_message(QueueUrl=permissions.queue_url, MessageBody="mine")
    sandbox.client("s3").put_object(Bucket=permissions.bucket, Key="mine", Body=b"x")

    assert dynamodb.scan(TableName=permissions.table)["Count"] == 0


def test_the_trace_shows_the_denied_call_as_a_failed_aws_call(permissions, lab, learner):
    mark = trace_mark(lab, learner)

    permissions.call("ReaderFunction", "put", id="o-9")

    calls = [e for e in lab.trace(learner, since=mark)["events"]
             if e["type"] == "api_call" and e["service"] == "dynamodb"]
    assert [(c["operation"], c["status"], c["caller"], c["error"]) for c in calls] == [
        ("PutItem", 400, f"function:{permissions.functions['ReaderFunction']}",
         "AccessDeniedException")]
    assert "dynamodb:PutItem" in calls[0]["message"]


def test_a_role_policy_document_that_is_not_json_is_refused_by_iam(permissions, sandbox):
    with pytest.raises(ClientError) as refused:
        sandbox.client("iam").put_role_policy(
            RoleName=permissions.role_name("ReaderFunction"), PolicyName="bad",
            PolicyDocument="{not json")

    assert refused.value.response["Error"]["Code"] == "MalformedPolicyDocument"
    assert permissions.call("ReaderFunction", "put", id="o-10")["error"] == \
        "AccessDeniedException"


def test_publishing_without_sns_publish_is_refused_as_sns_words_it(permissions):
    refused = permissions.call("ReaderFunction", "publish")

    topic = f"arn:aws:sns:us-east-1:{permissions.account_id}:"
    # SNS writes the action's service prefix in capitals (an AuthorizationError, 403).
    assert refused["error"] == "AuthorizationError"
    assert refused["status"] == 403
    assert refused["message"].startswith(
        f"User: {permissions.caller_arn('ReaderFunction')} is not authorized to perform: "
        f"SNS:Publish on resource: {topic}")
    assert refused["message"].endswith(
        "because no identity-based policy allows the SNS:Publish action")


def test_invoking_another_function_without_lambda_invoke_function_is_refused(permissions, lab,
                                                                             learner):
    mark = trace_mark(lab, learner)
    other = permissions.functions["BasicFunction"]

    refused = permissions.call("ReaderFunction", "invoke")

    function_arn = f"arn:aws:lambda:us-east-1:{permissions.account_id}:function:{other}"
    assert refused == {
        "error": "AccessDeniedException", "status": 403,
        "message": f"User: {permissions.caller_arn('ReaderFunction')} is not authorized to "
                   f"perform: lambda:InvokeFunction on resource: {function_arn} because no "
                   f"identity-based policy allows the lambda:InvokeFunction action"}
    invoked = [e for e in lab.trace(learner, since=mark)["events"]
               if e["type"] == "invocation" and e.get("function_name") == other]
    assert invoked == []


def test_a_new_default_version_of_an_attached_customer_policy_takes_effect(permissions,
                                                                           sandbox):
    iam = sandbox.client("iam")
    role = permissions.role_name("ReaderFunction")
    table_arn = f"arn:aws:dynamodb:us-east-1:{permissions.account_id}:table/{permissions.table}"

    def document(action: str) -> str:
        return ('{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", '
                f'"Action": "{action}", "Resource": "{table_arn}"}}]}}')

    arn = iam.create_policy(PolicyName="orders-writer",
                            PolicyDocument=document("dynamodb:PutItem"))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    assert permissions.call("ReaderFunction", "put", id="o-11") == {"result": "put"}

    iam.create_policy_version(PolicyArn=arn, PolicyDocument=document("dynamodb:UpdateItem"),
                              SetAsDefault=True)

    assert permissions.call("ReaderFunction", "put", id="o-12")["error"] == \
        "AccessDeniedException"


def test_putting_an_event_on_the_default_bus_without_events_put_events_is_refused(
        permissions):
    refused = permissions.call("ReaderFunction", "put-event")

    bus = f"arn:aws:events:us-east-1:{permissions.account_id}:event-bus/default"
    assert refused == {
        "error": "AccessDeniedException", "status": 400,
        "message": f"User: {permissions.caller_arn('ReaderFunction')} is not authorized to "
                   f"perform: events:PutEvents on resource: {bus} because no identity-based "
                   f"policy allows the events:PutEvents action"}


def test_deleting_the_stack_deletes_its_roles_with_their_managed_policies(permissions,
                                                                          sandbox):
    iam = sandbox.client("iam")
    role = permissions.role_name("BasicFunction")
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]

    sandbox.client("cloudformation").delete_stack(StackName="permissions")

    with pytest.raises(ClientError) as gone:
        iam.get_role(RoleName=role)
    assert gone.value.response["Error"]["Code"] == "NoSuchEntity"
