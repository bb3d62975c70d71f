"""REST APIs over HTTP on the lab cloud: AWS's v1 proxy event, route matching, error answers."""

import base64
import json

import pytest

from serverless_lab.cloud.apigateway.messages import proxy_response
from tests.cloud.conftest import FUNCTIONS
from tests.conftest import trace_mark

# The keys of AWS's documented sample event for a REST API proxy integration.
V1_EVENT_KEYS = {"resource", "path", "httpMethod", "headers", "multiValueHeaders",
                 "queryStringParameters", "multiValueQueryStringParameters", "pathParameters",
                 "stageVariables", "requestContext", "body", "isBase64Encoded"}
V1_CONTEXT_KEYS = {"accountId", "apiId", "domainName", "domainPrefix", "extendedRequestId",
                   "httpMethod", "identity", "path", "protocol", "requestId", "requestTime",
                   "requestTimeEpoch", "resourceId", "resourcePath", "stage"}


@pytest.fixture(scope="module")
def learner():
    """One learner for the module: its tests only call the echo stack (deployed once) and
    read their own trace events from a mark."""
    return "t-apigateway-rest"


@pytest.fixture(scope="module")
def api(lab, learner):
    deployment = lab.deploy(learner, str(FUNCTIONS / "echo"), stack="echo")
    return deployment["apis"][0]["url"]


def test_proxy_event_has_awss_v1_shape(lab, api, sandbox):
    answer = lab.http(f"{api}/items/42?color=red&color=blue", method="GET",
                      headers={"X-Trace": "abc"})
    assert answer.status == 200
    event = json.loads(answer.body)
    assert set(event) == V1_EVENT_KEYS
    assert set(event["requestContext"]) == V1_CONTEXT_KEYS
    assert event["resource"] == "/items/{id}"
    assert event["path"] == "/items/42"
    assert event["pathParameters"] == {"id": "42"}
    assert event["queryStringParameters"] == {"color": "blue"}
    assert event["multiValueQueryStringParameters"] == {"color": ["red", "blue"]}
    assert event["headers"]["X-Trace"] == "abc"
    assert event["requestContext"]["accountId"] == sandbox.account_id
    assert event["requestContext"]["stage"] == "Prod"
    assert event["requestContext"]["path"] == "/Prod/items/42"
    assert event["body"] is None and event["isBase64Encoded"] is False


@pytest.mark.parametrize(("method", "path", "resource", "parameters"), [
    ("GET", "/items/special", "/items/special", None),  # a literal beats {id}
    ("GET", "/items/7", "/items/{id}", {"id": "7"}),
    ("DELETE", "/files/a/b/c.txt", "/files/{proxy+}", {"proxy": "a/b/c.txt"}),  # greedy, ANY
])
def test_route_matching_follows_awss_precedence(lab, api, method, path, resource, parameters):
    answer = lab.http(f"{api}{path}", method=method)
    assert answer.status == 200
    event = json.loads(answer.body)
    assert (event["resource"], event["pathParameters"]) == (resource, parameters)


def test_unknown_route_or_method_is_missing_authentication_token(lab, api):
    for method, path in (("GET", "/nothing/here"), ("POST", "/items/1")):
        answer = lab.http(f"{api}{path}", method=method)
        assert answer.status == 403
        assert json.loads(answer.body) == {"message": "Missing Authentication Token"}


def test_unknown_stage_is_forbidden(lab, api):
    answer = lab.http(api.replace("/Prod/", "/Dev/") + "/items/1", method="GET")
    assert (answer.status, json.loads(answer.body)) == (403, {"message": "Forbidden"})


def test_binary_body_arrives_base64_encoded(lab, api):
    answer = lab.http(f"{api}/files/upload.bin", method="PUT", body="\x00\x01",
                      headers={"Content-Type": "application/octet-stream"})
    event = json.loads(answer.body)
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\x00\x01"


@pytest.mark.parametrize("payload", ['"just a string"', '{"body": "no status"}', "not json",
                                     '{"statusCode": 200, "body": {"not": "a string"}}'])
def test_malformed_proxy_answers_are_unreadable(payload):
    assert proxy_response(payload) is None


@pytest.mark.parametrize("kind", ["string", "no-status", "object-body"])
def test_malformed_proxy_answers_become_502_over_http(lab, api, kind):
    # API Gateway's answer to a Lambda proxy response it cannot read ("Malformed Lambda proxy
    # response" in its execution log): 502 with this body, word for word.
    answer = lab.http(f"{api}/malformed/{kind}", method="GET")
    assert (answer.status, json.loads(answer.body)) == (502, {"message": "Internal server error"})


def test_proxy_answer_maps_status_headers_and_base64_body():
    answer = proxy_response(json.dumps({
        "statusCode": 201, "headers": {"X-A": "1"}, "multiValueHeaders": {"X-B": ["2", "3"]},
        "body": base64.b64encode(b"\xff").decode(), "isBase64Encoded": True}))
    assert (answer.status, answer.headers, answer.body) == (201, {"X-A": "1", "X-B": "2, 3"},
                                                           b"\xff")


def test_trace_records_the_request_the_event_and_the_invocation(lab, learner, api):
    mark = trace_mark(lab, learner)
    lab.http(f"{api}/items/9", method="GET")
    events = lab.trace(learner, since=mark)["events"]
    kinds = [e["type"] for e in events]
    assert kinds[:2] == ["http", "delivery"] and "invocation" in kinds
    http = events[0]
    assert (http["method"], http["path"], http["resource"], http["status"]) == (
        "GET", "/items/9", "/items/{id}", 200)
    assert events[1]["event"]["pathParameters"] == {"id": "9"}
