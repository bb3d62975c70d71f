"""API Gateway AWS service integrations (apigateway/aws_integration.py): a REST API sends to
SQS itself."""

import json

import pytest

from serverless_lab.cloud.apigateway.aws_integration import query_answer_as_json, render
from tests.conftest import trace_mark

CONTEXT = {"requestId": "r-1", "stage": "test"}


@pytest.mark.parametrize(("template", "body", "expected"), [
    ("Action=SendMessage&MessageBody=$input.body", '{"a": 1}',
     'Action=SendMessage&MessageBody={"a": 1}'),
    ("MessageBody=$util.urlEncode($input.body)", '{"item": "fish & chips + peas"}',
     "MessageBody=%7B%22item%22%3A+%22fish+%26+chips+%2B+peas%22%7D"),
    ("$input.json('$')", '{"a": {"b": [1, 2]}}', '{"a": {"b": [1, 2]}}'),
    ("$input.json('$.a.b')", '{"a": {"b": [1, 2]}}', "[1, 2]"),
    ("$util.urlEncode($input.json('$.a'))", '{"a": "x y"}', "%22x+y%22"),
    ("id=$context.requestId&stage=$context.stage", "", "id=r-1&stage=test"),
    ("$util.urlEncode('a b')", "", "a+b"),
    ("$context.unknown $foo", "", "$context.unknown $foo"),  # Velocity keeps what it lacks
])
def test_mapping_templates_render_the_documented_subset_of_vtl(template, body, expected):
    assert render(template, body=body, context=CONTEXT) == expected


def test_query_answers_become_the_json_sqs_gives_api_gateway():
    xml = (b'<SendMessageResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">'
           b"<SendMessageResult><MD5OfMessageBody>abc</MD5OfMessageBody>"
           b"<MessageId>m-1</MessageId></SendMessageResult>"
           b"<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>"
           b"</SendMessageResponse>")
    assert json.dumps(query_answer_as_json(xml), separators=(",", ":")) == (
        '{"SendMessageResponse":{"ResponseMetadata":{"RequestId":"r-1"},'
        '"SendMessageResult":{"MD5OfMessageAttributes":null,"MD5OfMessageBody":"abc",'
        '"MD5OfMessageSystemAttributes":null,"MessageId":"m-1","SequenceNumber":null}}}')


@pytest.fixture
def api_to_sqs(deploy, sandbox, lab, learner):
    deployment = deploy("api-to-sqs")
    [api] = deployment["apis"]
    queue = deployment["resources"]["Inbox"]["physical_id"]
    return api, queue, sandbox.client("sqs")


def test_post_sends_the_body_to_the_queue_and_answers_with_sqs_response(
        api_to_sqs, lab, learner):
    api, queue, sqs = api_to_sqs
    mark = trace_mark(lab, learner)
    body = '{"item": "fish & chips + peas", "note": "100% sure"}'
    answer = lab.http(api["url"] + "/messages", method="POST", body=body,
                      headers={"Content-Type": "application/json"})
    assert answer.status == 200
    result = json.loads(answer.body)["SendMessageResponse"]["SendMessageResult"]
    assert set(result) == {"MD5OfMessageAttributes", "MD5OfMessageBody",
                           "MD5OfMessageSystemAttributes", "MessageId", "SequenceNumber"}
    [message] = sqs.receive_message(QueueUrl=queue, MessageAttributeNames=["All"])["Messages"]
    assert message["Body"] == body  # URL-encoded by the template, decoded by SQS
    assert message["MessageId"] == result["MessageId"]
    assert message["MessageAttributes"]["requestId"]["StringValue"]  # $context.requestId
    events = lab.trace(learner, since=mark)["events"]
    [call] = [e for e in events if e["type"] == "api_call" and e["operation"] == "SendMessage"]
    assert call["caller"] == f"apigateway:{api['api_id']}" and call["status"] == 200
    [http] = [e for e in events if e["type"] == "http"]
    assert http["status"] == 200 and http["resource"] == "/messages"


def test_a_content_type_without_template_is_refused_when_passthrough_is_never(
        api_to_sqs, lab):
    api, queue, sqs = api_to_sqs
    answer = lab.http(api["url"] + "/messages", method="POST", body="hello",
                      headers={"Content-Type": "text/plain"})
    assert (answer.status, json.loads(answer.body)) == (415, {"message":
                                                              "Unsupported Media Type"})
    assert "Messages" not in sqs.receive_message(QueueUrl=queue)


def test_sqs_error_selects_the_integration_response_matching_its_status(api_to_sqs, lab):
    api, queue, sqs = api_to_sqs
    too_big = json.dumps({"blob": "x" * (1024 * 1024 + 1)})  # over SQS's 1 MiB
    answer = lab.http(api["url"] + "/messages", method="POST", body=too_big,
                      headers={"Content-Type": "application/json"})
    assert (answer.status, json.loads(answer.body)) == (
        400, {"message": "The queue refused the message"})
    assert "Messages" not in sqs.receive_message(QueueUrl=queue)


def test_no_integration_response_is_a_configuration_error(api_to_sqs, lab):
    api, queue, sqs = api_to_sqs
    answer = lab.http(api["url"] + "/unmapped", method="POST", body='{"a": 1}',
                      headers={"Content-Type": "application/json"})
    assert (answer.status, json.loads(answer.body)) == (500, {"message":
                                                              "Internal server error"})


def test_query_errors_become_the_json_error_document():
    xml = (b"<ErrorResponse><Error><Type>Sender</Type><Code>InvalidParameterValue</Code>"
           b"<Message>too long</Message></Error><RequestId>r-2</RequestId></ErrorResponse>")
    assert query_answer_as_json(xml) == {
        "Error": {"Code": "InvalidParameterValue", "Message": "too long", "Type": "Sender"},
        "RequestId": "r-2"}
