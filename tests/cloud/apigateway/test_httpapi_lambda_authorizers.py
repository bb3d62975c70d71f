"""Lambda authorizers on HTTP APIs: simple responses (payload 2.0), IAM policies (1.0 and 2.0),
identity sources, caching, failures, and the plain CloudFormation AWS::ApiGatewayV2::Authorizer."""

import json

import pytest

from serverless_lab.cloud.apigateway.http_authorizers import identity_value
from serverless_lab.cloud.apigateway.messages import HttpRequest
from tests.cloud.conftest import FUNCTIONS
from tests.conftest import events_since, trace_mark

FORBIDDEN = {"message": "Forbidden"}
UNAUTHORIZED = {"message": "Unauthorized"}
INTERNAL_ERROR = {"message": "Internal Server Error"}
# AWS's documented 2.0 authorizer event (requestContext.authentication aside: mutual TLS).
V2_AUTHORIZER_KEYS = {"version", "type", "routeArn", "identitySource", "routeKey", "rawPath",
                      "rawQueryString", "headers", "requestContext", "stageVariables"}


@pytest.fixture(scope="module")
def learner():
    """One account for the module: the APIs are deployed once; each test keeps to its own
    identity values (the authorizers cache by them)."""
    return "t-httpapi-lambda-auth"


@pytest.fixture(scope="module")
def api(lab, learner):
    return lab.deploy(learner, str(FUNCTIONS / "httpapi-lambda-auth"),
                      stack="httpapi-lambda-auth")


def endpoint(api, logical_id):
    return next(e for e in api["apis"] if e["logical_id"] == logical_id)


def call(lab, api, path, logical_id="HttpApi", **headers):
    answer = lab.http(endpoint(api, logical_id)["url"] + path, method="GET", headers=headers)
    return answer.status, json.loads(answer.body) if answer.body else None, answer.headers


def invoked(lab, learner, mark, api):
    """The logical ids of the functions invoked since mark, in order."""
    by_name = {name: logical_id for logical_id, name in api["functions"].items()}
    return [by_name[e["function_name"]] for e in events_since(lab, learner, mark, "invocation")]


def test_simple_allow_passes_the_context_to_the_integration(lab, learner, api, sandbox):
    mark = trace_mark(lab, learner)
    status, event, _ = call(lab, api, "/simple?x=1", Authorization="allow-ada",
                            Cookie="session=abc")
    assert status == 200
    assert invoked(lab, learner, mark, api) == ["SimpleAuthorizerFunction", "EchoFunction"]
    # The context reaches the integration as the authorizer returned it, under `lambda`.
    assert event["requestContext"]["authorizer"] == {
        "lambda": {"user": "ada", "tier": 3, "admin": True, "groups": ["a", "b"]}}
    to_authorizer, to_echo = events_since(lab, learner, mark, "delivery")
    assert to_authorizer["target"] == api["functions"]["SimpleAuthorizerFunction"]
    assert to_authorizer["authorizer"] == "Simple"
    sent = to_authorizer["event"]
    api_id = endpoint(api, "HttpApi")["api_id"]
    assert set(sent) == V2_AUTHORIZER_KEYS | {"cookies", "queryStringParameters"}
    assert (sent["version"], sent["type"], sent["routeKey"]) == ("2.0", "REQUEST", "GET /simple")
    assert sent["routeArn"] == (
        f"arn:aws:execute-api:us-east-1:{sandbox.account_id}:{api_id}/$default/GET/simple")
    assert sent["identitySource"] == ["allow-ada"]
    assert (sent["rawPath"], sent["rawQueryString"], sent["cookies"]) == (
        "/simple", "x=1", ["session=abc"])
    assert sent["headers"]["authorization"] == "allow-ada"
    assert sent["stageVariables"] == {"color": "blue"}
    assert "body" not in sent and "authorizer" not in sent["requestContext"]
    # The authorizer and the integration see the same request.
    assert sent["requestContext"]["requestId"] == event["requestContext"]["requestId"]
    assert to_echo["target"] == api["functions"]["EchoFunction"]
    http = events_since(lab, learner, mark, "http")[0]
    assert http["authorizer"]["decision"] == "allow" and http["authorizer"]["cached"] is False
    assert http["authorizer"]["type"] == "REQUEST"


def test_simple_deny_is_403_and_the_integration_never_runs(lab, learner, api):
    mark = trace_mark(lab, learner)
    status, body, headers = call(lab, api, "/simple", Authorization="deny-mallory")
    assert (status, body) == (403, FORBIDDEN)
    assert "x-amzn-ErrorType" not in headers  # a REST API's header, not an HTTP API's
    assert invoked(lab, learner, mark, api) == ["SimpleAuthorizerFunction"]
    assert events_since(lab, learner, mark, "http")[0]["authorizer"]["decision"] == "deny"


def test_missing_identity_source_is_401_without_invoking_the_authorizer(lab, learner, api):
    mark = trace_mark(lab, learner)
    assert call(lab, api, "/simple")[:2] == (401, UNAUTHORIZED)
    # With several identity sources, every one must be there.
    assert call(lab, api, "/policy", **{"X-Api-Key": "secret"})[:2] == (401, UNAUTHORIZED)
    assert invoked(lab, learner, mark, api) == []
    assert [e["authorizer"]["decision"] for e in events_since(lab, learner, mark, "http")] == [
        "unauthorized", "unauthorized"]


def test_second_call_within_the_ttl_is_answered_from_the_cache(lab, learner, api):
    mark = trace_mark(lab, learner)
    assert call(lab, api, "/simple", Authorization="allow-bob")[0] == 200
    second = trace_mark(lab, learner)
    status, event, _ = call(lab, api, "/simple", Authorization="allow-bob")
    assert status == 200 and event["requestContext"]["authorizer"]["lambda"]["user"] == "bob"
    assert invoked(lab, learner, second, api) == ["EchoFunction"]
    assert events_since(lab, learner, second, "http")[0]["authorizer"]["cached"] is True
    # Another identity value is another cache entry.
    third = trace_mark(lab, learner)
    assert call(lab, api, "/simple", Authorization="allow-cy")[0] == 200
    assert invoked(lab, learner, third, api) == ["SimpleAuthorizerFunction", "EchoFunction"]
    assert invoked(lab, learner, mark, api).count("SimpleAuthorizerFunction") == 2


def test_iam_policy_with_payload_1_0_allows_and_denies(lab, learner, api, sandbox):
    mark = trace_mark(lab, learner)
    status, event, _ = call(lab, api, "/policy?tenant=acme", **{"X-Api-Key": "secret"})
    assert status == 200
    assert event["requestContext"]["authorizer"] == {
        "lambda": {"tenant": "acme", "version": "1.0"}}
    sent = events_since(lab, learner, mark, "delivery")[0]["event"]
    api_id = endpoint(api, "HttpApi")["api_id"]
    method_arn = f"arn:aws:execute-api:us-east-1:{sandbox.account_id}:{api_id}/$default/GET/policy"
    assert (sent["version"], sent["type"], sent["methodArn"]) == ("1.0", "REQUEST", method_arn)
    # 1.0 says the identity source values as one string, twice.
    assert sent["identitySource"] == sent["authorizationToken"] == "secret,acme"
    assert (sent["resource"], sent["path"], sent["httpMethod"]) == ("/policy", "/policy", "GET")
    assert sent["queryStringParameters"] == {"tenant": "acme"}
    assert sent["stageVariables"] == {"color": "blue"}
    assert "routeArn" not in sent and "body" not in sent
    # ReauthorizeEvery: 0, no cache: the same call invokes the authorizer again, and a wrong
    # key is an explicit deny: 403.
    second = trace_mark(lab, learner)
    status, body, _ = call(lab, api, "/policy?tenant=acme", **{"X-Api-Key": "wrong"})
    assert (status, body) == (403, FORBIDDEN)
    assert invoked(lab, learner, second, api) == ["PolicyAuthorizerFunction"]
    http = events_since(lab, learner, second, "http")[0]
    assert http["authorizer"]["principal_id"] == "tenant-acme"
    assert http["authorizer"]["payload_format_version"] == "1.0"


def test_iam_policy_with_payload_2_0_is_evaluated_against_the_route_arn(lab, learner, api):
    mark = trace_mark(lab, learner)
    status, event, _ = call(lab, api, "/policy2/7?tenant=zed", **{"X-Api-Key": "secret"})
    assert status == 200
    assert event["requestContext"]["authorizer"]["lambda"] == {"tenant": "zed",
                                                               "version": "2.0"}
    sent = events_since(lab, learner, mark, "delivery")[0]["event"]
    assert sent["routeArn"].endswith("/$default/GET/policy2/7")
    assert sent["identitySource"] == ["secret", "zed"]
    assert sent["pathParameters"] == {"id": "7"}
    assert call(lab, api, "/policy2/7?tenant=zed", **{"X-Api-Key": "nope"})[:2] == (
        403, FORBIDDEN)


@pytest.mark.parametrize("token", ["boom", "malformed", "slow"])
def test_authorizer_error_timeout_or_malformed_answer_is_500(lab, learner, api, token):
    mark = trace_mark(lab, learner)
    status, body, _ = call(lab, api, "/simple", Authorization=token)
    assert (status, body) == (500, INTERNAL_ERROR)
    assert invoked(lab, learner, mark, api) == ["SimpleAuthorizerFunction"]
    http = events_since(lab, learner, mark, "http")[0]
    assert http["authorizer"]["decision"] == "error" and http["authorizer"]["error"]


def test_a_route_with_authorizer_none_skips_the_default_authorizer(lab, learner, api):
    mark = trace_mark(lab, learner)
    status, event, _ = call(lab, api, "/open")
    assert status == 200 and "authorizer" not in event["requestContext"]
    assert invoked(lab, learner, mark, api) == ["EchoFunction"]


def test_an_authorizer_api_gateway_may_not_invoke_is_500(lab, learner, api):
    """SAM grants API Gateway no permission to invoke an HttpApi Lambda authorizer unless
    EnableFunctionDefaultPermissions is true (or a FunctionInvokeRole is given)."""
    mark = trace_mark(lab, learner)
    assert call(lab, api, "/locked", Authorization="allow-ada")[:2] == (500, INTERNAL_ERROR)
    assert invoked(lab, learner, mark, api) == []
    assert "permission" in events_since(lab, learner, mark, "http")[0]["authorizer"]["error"]


def test_plain_cloudformation_authorizer_allows_and_denies(lab, learner, api):
    mark = trace_mark(lab, learner)
    status, event, _ = call(lab, api, "/cfn", "CfnApi", Authorization="allow-dee")
    assert status == 200
    assert event["requestContext"]["authorizer"]["lambda"]["user"] == "dee"
    assert events_since(lab, learner, mark, "delivery")[0]["authorizer"] == "CfnSimple"
    assert call(lab, api, "/cfn", "CfnApi", Authorization="deny-eve")[:2] == (403, FORBIDDEN)
    assert call(lab, api, "/cfn", "CfnApi")[:2] == (401, UNAUTHORIZED)


@pytest.mark.parametrize(("source", "value"), [
    ("$request.header.x-api-key", "k"),  # header names are case-insensitive
    ("$request.querystring.tenant", "a,b"),  # a repeated parameter, as the event has it
    ("$request.querystring.Tenant", None),  # query string names are case-sensitive
    ("$stageVariables.color", "blue"),
    ("$context.routeKey", "GET /x"),
    ("$context.httpMethod", "GET"),
    ("$context.identity.sourceIp", "127.0.0.1"),
    ("$context.nothing", None),
])
def test_identity_source_values(source, value):
    request = HttpRequest("GET", "/x", {"X-Api-Key": "k"}, "tenant=a&tenant=b")
    event = {"queryStringParameters": {"tenant": "a,b"}, "stageVariables": {"color": "blue"},
             "requestContext": {"routeKey": "GET /x",
                                "http": {"method": "GET", "sourceIp": "127.0.0.1"}}}
    assert identity_value(source, request=request, event=event) == value
