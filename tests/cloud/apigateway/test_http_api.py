"""HTTP APIs (ApiGatewayV2) on the lab cloud: the 2.0 event and response format, route
precedence, the JWT authorizer, CORS preflight and route throttling."""

import json
from types import SimpleNamespace

import pytest

from serverless_lab.cloud.apigateway.http_api import route_match
from tests.cloud.conftest import FUNCTIONS, cognito_sign_in, expired_token
from tests.conftest import events_since, learner_client, trace_mark

# The keys of AWS's documented payload format 2.0 event (authentication, for mutual TLS, and
# authorizer, with an authorizer, aside).
V2_EVENT_KEYS = {"version", "routeKey", "rawPath", "rawQueryString", "cookies", "headers",
                 "queryStringParameters", "requestContext", "body", "pathParameters",
                 "isBase64Encoded", "stageVariables"}
V2_CONTEXT_KEYS = {"accountId", "apiId", "domainName", "domainPrefix", "http", "requestId",
                   "routeKey", "stage", "time", "timeEpoch"}
V2_HTTP_KEYS = {"method", "path", "protocol", "sourceIp", "userAgent"}
ORIGIN = "https://app.example.com"


@pytest.fixture(scope="module")
def learner():
    """One account for the module: the API is deployed once."""
    return "t-http-api"


@pytest.fixture(scope="module")
def api(lab, learner):
    return lab.deploy(learner, str(FUNCTIONS / "httpapi"), stack="httpapi")


def call(lab, api, path, method="GET", body=None, **headers):
    return lab.http(api["apis"][0]["url"] + path, method=method, body=body, headers=headers)


def test_deploy_creates_the_http_api_with_a_default_stage(api):
    (endpoint,) = api["apis"]
    assert endpoint["logical_id"] == "HttpApi" and endpoint["stage"] == "$default"
    assert endpoint["url"].endswith(f"/_aws/execute-api/{endpoint['api_id']}")
    assert api["resources"]["HttpApi"]["physical_id"] == endpoint["api_id"]


def test_event_has_the_keys_of_awss_2_0_sample(lab, learner, api, sandbox):
    mark = trace_mark(lab, learner)
    answer = call(lab, api, "/orders/42?tag=a&tag=b&q=", method="POST", body='{"n": 1}',
                  **{"Content-Type": "application/json", "Cookie": "session=abc; theme=dark",
                     "X-Trace": "t1"})
    assert answer.status == 200
    event = json.loads(answer.body)
    assert set(event) == V2_EVENT_KEYS
    assert set(event["requestContext"]) == V2_CONTEXT_KEYS
    assert set(event["requestContext"]["http"]) == V2_HTTP_KEYS
    assert (event["version"], event["routeKey"], event["rawPath"]) == (
        "2.0", "ANY /{proxy+}", "/orders/42")
    assert event["rawQueryString"] == "tag=a&tag=b&q="
    assert event["queryStringParameters"] == {"tag": "a,b", "q": ""}
    assert event["cookies"] == ["session=abc", "theme=dark"]
    assert event["headers"]["x-trace"] == "t1" and "cookie" not in event["headers"]
    assert all(name == name.lower() for name in event["headers"])
    assert event["pathParameters"] == {"proxy": "orders/42"}
    assert event["stageVariables"] == {"color": "blue"}
    assert (event["body"], event["isBase64Encoded"]) == ('{"n": 1}', False)
    context = event["requestContext"]
    assert (context["accountId"], context["stage"], context["routeKey"]) == (
        sandbox.account_id, "$default", "ANY /{proxy+}")
    assert context["http"]["method"] == "POST" and context["http"]["path"] == "/orders/42"
    http = events_since(lab, learner, mark, "http")[0]
    assert (http["resource"], http["status"]) == ("ANY /{proxy+}", 200)
    delivery = events_since(lab, learner, mark, "delivery")[0]
    assert delivery["source"] == f"apigateway:{api['apis'][0]['api_id']}/$default"


@pytest.mark.parametrize(("method", "path", "route_key", "parameters"), [
    ("GET", "/items/7", "GET /items/{id}", {"id": "7"}),  # a full match beats the greedy one
    ("POST", "/items/7", "ANY /{proxy+}", {"proxy": "items/7"}),  # GET only: ANY catches it
    ("GET", "/items/7/extra", "ANY /{proxy+}", {"proxy": "items/7/extra"}),
    ("GET", "/", "$default", None),  # {proxy+} needs a segment: the catch-all gets it
])
def test_routes_are_chosen_by_awss_precedence(lab, api, method, path, route_key, parameters):
    event = json.loads(call(lab, api, path, method=method).body)
    assert (event["routeKey"], event.get("pathParameters")) == (route_key, parameters)


def test_route_match_without_a_default_route_finds_nothing():
    routes = [SimpleNamespace(route_key="GET /pets/{id}")]
    assert route_match(routes, "GET", "/pets") is None
    assert route_match(routes, "GET", "/pets/1")[1] == {"id": "1"}


def test_answers_without_status_code_are_200_json(lab, api):
    bare = call(lab, api, "/bare")
    assert (bare.status, json.loads(bare.body)) == (200, {"hello": "world"})
    assert bare.headers["Content-Type"] == "application/json"
    text = call(lab, api, "/text")
    assert (text.status, text.body) == (200, "Hello from Lambda!")


def test_cookies_in_the_answer_become_set_cookie_headers(lab, api):
    import urllib.request

    with urllib.request.urlopen(api["apis"][0]["url"] + "/items/1") as response:
        assert response.headers.get_all("Set-Cookie") == ["session=abc; Path=/", "theme=dark"]


@pytest.fixture(scope="module")
def tokens(lab, learner, api):
    cognito = learner_client(lab, learner, "cognito-idp")
    pool = api["resources"]["UserPool"]["physical_id"]
    own = cognito_sign_in(cognito, pool, api["resources"]["UserPoolClient"]["physical_id"],
                          "ada@example.com")
    other_pool = cognito.create_user_pool(PoolName="other")["UserPool"]["Id"]
    other_client = cognito.create_user_pool_client(
        UserPoolId=other_pool, ClientName="other",
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"])["UserPoolClient"]["ClientId"]
    other = cognito_sign_in(cognito, other_pool, other_client, "ada@example.com")
    return {"own": own, "other": other}


def test_jwt_authorizer_passes_the_claims_of_a_valid_token(lab, learner, api, tokens):
    mark = trace_mark(lab, learner)
    answer = call(lab, api, "/me", Authorization=f"Bearer {tokens['own']['IdToken']}")
    assert answer.status == 200
    jwt_context = json.loads(answer.body)["requestContext"]["authorizer"]["jwt"]
    assert jwt_context["claims"]["cognito:username"] == "ada@example.com"
    assert jwt_context["scopes"] is None  # the route asks for none
    assert events_since(lab, learner, mark, "http")[0]["authorizer"]["decision"] == "allow"
    # An access token has no aud: its client_id is checked against the audience instead.
    assert call(lab, api, "/me", Authorization=tokens["own"]["AccessToken"]).status == 200


def test_jwt_authorizer_refuses_missing_expired_and_foreign_tokens(lab, learner, api, tokens):
    expired = expired_token(tokens["own"]["IdToken"], expired_seconds_ago=60)
    mark = trace_mark(lab, learner)
    missing = call(lab, api, "/me")
    assert (missing.status, json.loads(missing.body)) == (401, {"message": "Unauthorized"})
    for token, reason in ((expired, "the token has expired"),
                          (tokens["other"]["IdToken"], "the token does not have a valid issuer")):
        answer = call(lab, api, "/me", Authorization=token)
        assert (answer.status, json.loads(answer.body)) == (401, {"message": "Unauthorized"})
        assert f'error="invalid_token" error_description="{reason}"' in \
            answer.headers["www-authenticate"]
    assert events_since(lab, learner, mark, "invocation") == []


def test_cors_preflight_is_answered_by_api_gateway_itself(lab, learner, api):
    mark = trace_mark(lab, learner)
    answer = call(lab, api, "/items/7", method="OPTIONS", Origin=ORIGIN,
                  **{"Access-Control-Request-Method": "GET"})
    assert answer.status == 204
    headers = {k.lower(): v for k, v in answer.headers.items()}
    assert headers["access-control-allow-origin"] == ORIGIN
    assert headers["access-control-allow-methods"] == "GET,POST"
    assert headers["access-control-allow-headers"] == "authorization,content-type"
    assert headers["access-control-max-age"] == "600"
    foreign = call(lab, api, "/items/7", method="OPTIONS", Origin="https://evil.example",
                   **{"Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in {k.lower() for k in foreign.headers}
    assert events_since(lab, learner, mark, "invocation") == []


def test_cors_headers_of_the_api_replace_the_integrations(lab, api):
    answer = call(lab, api, "/items/7", Origin=ORIGIN)
    headers = {k.lower(): v for k, v in answer.headers.items()}
    assert headers["access-control-allow-origin"] == ORIGIN  # not the handler's evil.example


def test_route_throttling_answers_429_once_the_burst_is_spent(lab, learner, api):
    assert call(lab, api, "/limited").status == 200
    mark = trace_mark(lab, learner)
    throttled = call(lab, api, "/limited")
    assert (throttled.status, json.loads(throttled.body)) == (
        429, {"message": "Too Many Requests"})
    assert events_since(lab, learner, mark, "invocation") == []
    assert call(lab, api, "/items/1").status == 200  # another route, another bucket
