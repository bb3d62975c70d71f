"""REST API authorizers, CORS preflight and stage throttling, as API Gateway answers them."""

import json

import pytest

from serverless_lab.cloud.apigateway.authorizers import arn_matches, policy_effect
from tests.cloud.conftest import FUNCTIONS, cognito_sign_in, expired_token
from tests.conftest import events_since, trace_mark

EXPLICIT_DENY = {"Message": "User is not authorized to access this resource with an explicit deny"}
IMPLICIT_DENY = {"Message": "User is not authorized to access this resource"}
UNAUTHORIZED = {"message": "Unauthorized"}


@pytest.fixture(scope="module")
def learner():
    """One account for the module: the API is deployed once, and each test keeps to its own
    tokens, users and paths."""
    return "t-apigateway-auth"


@pytest.fixture(scope="module")
def api(lab, learner):
    return lab.deploy(learner, str(FUNCTIONS / "auth"), stack="auth")


def get(lab, deployment, path, **headers):
    answer = lab.http(deployment["apis"][0]["url"] + path, method="GET", headers=headers)
    return answer.status, json.loads(answer.body) if answer.body else None, answer.headers


def authorizer_calls(lab, learner, mark, api):
    name = api["functions"]["TokenAuthorizerFunction"]
    return [e for e in events_since(lab, learner, mark, "invocation") if e["function_name"] == name]


def test_token_authorizer_allows_and_passes_principal_and_context(lab, learner, api, sandbox):
    mark = trace_mark(lab, learner)
    status, event, _ = get(lab, api, "/token", Authorization="allow-ada")
    assert status == 200
    authorizer = event["requestContext"]["authorizer"]
    assert authorizer["principalId"] == "ada"
    # The context's values reach the backend as strings (null stays null).
    assert (authorizer["user"], authorizer["tier"], authorizer["admin"], authorizer["team"]) == (
        "ada", "3", "true", None)
    assert isinstance(authorizer["integrationLatency"], int)
    deliveries = events_since(lab, learner, mark, "delivery")
    to_authorizer = deliveries[0]
    assert to_authorizer["target"] == api["functions"]["TokenAuthorizerFunction"]
    api_id = api["apis"][0]["api_id"]
    assert to_authorizer["event"] == {
        "type": "TOKEN", "authorizationToken": "allow-ada",
        "methodArn": f"arn:aws:execute-api:us-east-1:{sandbox.account_id}:{api_id}/Prod/GET/token"}
    http = events_since(lab, learner, mark, "http")[0]
    assert http["authorizer"]["decision"] == "allow" and http["authorizer"]["cached"] is False


def test_token_authorizer_explicit_deny_is_403_and_the_backend_never_runs(lab, learner, api):
    mark = trace_mark(lab, learner)
    status, body, headers = get(lab, api, "/token", Authorization="deny-mallory")
    assert (status, body) == (403, EXPLICIT_DENY)
    assert headers["x-amzn-ErrorType"] == "AccessDeniedException"
    invoked = [e["function_name"] for e in events_since(lab, learner, mark, "invocation")]
    assert invoked == [api["functions"]["TokenAuthorizerFunction"]]
    assert events_since(lab, learner, mark, "http")[0]["authorizer"]["decision"] == "deny"


@pytest.mark.parametrize(("headers", "invokes_authorizer"), [
    ({}, False),  # no token: API Gateway refuses before calling the authorizer
    ({"Authorization": "unauthorized"}, True),  # the authorizer raises "Unauthorized"
])
def test_missing_token_or_unauthorized_answer_is_401(lab, learner, api, headers,
                                                     invokes_authorizer):
    mark = trace_mark(lab, learner)
    status, body, _ = get(lab, api, "/token", **headers)
    assert (status, body) == (401, UNAUTHORIZED)
    assert bool(authorizer_calls(lab, learner, mark, api)) is invokes_authorizer


@pytest.mark.parametrize("token", ["boom", "malformed", "nested-ed"])
def test_authorizer_error_or_malformed_answer_is_500(lab, api, token):
    status, body, headers = get(lab, api, "/token", Authorization=token)
    assert (status, body) == (500, {"message": None})
    assert headers["x-amzn-ErrorType"] == "AuthorizerConfigurationException"


def test_second_call_with_the_same_token_is_served_from_the_cache(lab, learner, api):
    mark = trace_mark(lab, learner)
    assert get(lab, api, "/token", Authorization="allow-bob")[0] == 200
    second = trace_mark(lab, learner)
    status, event, _ = get(lab, api, "/token", Authorization="allow-bob")
    assert status == 200 and event["requestContext"]["authorizer"]["principalId"] == "bob"
    assert len(authorizer_calls(lab, learner, mark, api)) == 1
    assert authorizer_calls(lab, learner, second, api) == []
    assert events_since(lab, learner, second, "http")[0]["authorizer"]["cached"] is True
    # Another token is another cache entry.
    assert get(lab, api, "/token", Authorization="allow-cy")[0] == 200
    assert len(authorizer_calls(lab, learner, mark, api)) == 2


def test_a_cached_policy_for_one_method_arn_denies_the_next_path(lab, learner, api):
    """The caching pitfall: a policy naming only the first request's method ARN is cached
    and then evaluated against another path's ARN, an implicit deny."""
    assert get(lab, api, "/token/a", Authorization="narrow-dee")[0] == 200
    mark = trace_mark(lab, learner)
    status, body, _ = get(lab, api, "/token/b", Authorization="narrow-dee")
    assert (status, body) == (403, IMPLICIT_DENY)
    assert authorizer_calls(lab, learner, mark, api) == []


def test_request_authorizer_gets_the_request_and_its_identity_sources(lab, learner, api):
    mark = trace_mark(lab, learner)
    status, event, _ = get(lab, api, "/request?tenant=acme", **{"X-Api-Key": "secret"})
    assert status == 200
    authorizer = event["requestContext"]["authorizer"]
    assert (authorizer["principalId"], authorizer["tenant"]) == ("tenant-acme", "acme")
    sent = events_since(lab, learner, mark, "delivery")[0]["event"]
    assert sent["type"] == "REQUEST" and sent["methodArn"].endswith("/Prod/GET/request")
    assert {"resource", "path", "httpMethod", "headers", "queryStringParameters",
            "pathParameters", "stageVariables", "requestContext"} <= set(sent)
    assert sent["stageVariables"] == {"greeting": "hello"}
    assert get(lab, api, "/request?tenant=acme", **{"X-Api-Key": "wrong"})[:2] == (
        403, EXPLICIT_DENY)


def test_request_authorizer_with_an_identity_source_missing_is_401_uncalled(lab, learner, api):
    mark = trace_mark(lab, learner)
    assert get(lab, api, "/request", **{"X-Api-Key": "secret"})[:2] == (401, UNAUTHORIZED)
    name = api["functions"]["RequestAuthorizerFunction"]
    assert not [e for e in events_since(lab, learner, mark, "invocation")
                if e["function_name"] == name]


def sign_in(sandbox, pool_id: str, client_id: str, email: str) -> dict:
    return cognito_sign_in(sandbox.client("cognito-idp"), pool_id, client_id, email)


def ids(api, logical_id):
    return api["resources"][logical_id]["physical_id"]


def test_cognito_authorizer_accepts_the_pools_id_token_and_passes_its_claims(lab, api,
                                                                            sandbox):
    tokens = sign_in(sandbox, ids(api, "UserPool"), ids(api, "UserPoolClient"),
                     "ada@example.com")
    status, event, _ = get(lab, api, "/profile", Authorization=tokens["IdToken"])
    assert status == 200
    claims = event["requestContext"]["authorizer"]["claims"]
    assert claims["email"] == "ada@example.com" and claims["token_use"] == "id"
    assert claims["iss"].endswith("/" + ids(api, "UserPool"))
    assert all(isinstance(v, str) for v in claims.values())
    # Bearer prefix or not, the same token works.
    assert get(lab, api, "/profile", Authorization=f"Bearer {tokens['IdToken']}")[0] == 200


def test_cognito_authorizer_refuses_missing_expired_and_foreign_tokens(lab, api, sandbox):
    pool = ids(api, "UserPool")
    tokens = sign_in(sandbox, pool, ids(api, "UserPoolClient"), "bea@example.com")
    other = sign_in(sandbox, ids(api, "OtherPool"), ids(api, "OtherPoolClient"),
                    "bea@example.com")
    expired = expired_token(tokens["IdToken"])
    for headers in ({}, {"Authorization": expired}, {"Authorization": other["IdToken"]},
                    {"Authorization": tokens["AccessToken"]},  # no scopes: ID tokens only
                    {"Authorization": "not-a-jwt"}):
        assert get(lab, api, "/profile", **headers)[:2] == (401, UNAUTHORIZED), headers


def test_cognito_authorizer_with_scopes_wants_an_access_token_with_one(lab, api, sandbox):
    tokens = sign_in(sandbox, ids(api, "UserPool"), ids(api, "UserPoolClient"),
                     "cy@example.com")
    status, event, _ = get(lab, api, "/scoped", Authorization=tokens["AccessToken"])
    assert status == 200
    assert event["requestContext"]["authorizer"]["claims"]["token_use"] == "access"
    assert get(lab, api, "/scoped", Authorization=tokens["IdToken"])[:2] == (401, UNAUTHORIZED)


def test_cors_preflight_is_answered_by_the_mock_integration(lab, learner, api):
    mark = trace_mark(lab, learner)
    answer = lab.http(api["apis"][0]["url"] + "/open", method="OPTIONS",
                      headers={"Origin": "https://app.example.com",
                               "Access-Control-Request-Method": "GET"})
    assert answer.status == 200
    assert answer.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert answer.headers["Access-Control-Allow-Methods"] == "GET,OPTIONS"
    assert answer.headers["Access-Control-Allow-Headers"] == "Content-Type,Authorization"
    assert answer.headers["Access-Control-Max-Age"] == "600"
    assert events_since(lab, learner, mark, "invocation") == []


def test_stage_method_throttling_answers_429_once_the_burst_is_spent(lab, learner, api):
    assert get(lab, api, "/limited")[0] == 200
    mark = trace_mark(lab, learner)
    assert get(lab, api, "/limited")[:2] == (429, {"message": "Too Many Requests"})
    assert events_since(lab, learner, mark, "invocation") == []
    assert get(lab, api, "/open")[0] == 200  # other methods have their own bucket


@pytest.mark.parametrize(("statements", "effect"), [
    ([{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "arn:x:api/Prod/*"}],
     "Allow"),
    ([{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "arn:x:api/Prod/*"},
      {"Effect": "Deny", "Action": "execute-api:*", "Resource": ["arn:x:api/*/GET/pets"]}],
     "Deny"),  # an explicit deny wins
    ([{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "arn:x:api/Dev/*"}],
     None),  # nothing matches: implicit deny
    ([{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}], None),
    ([{"Effect": "Allow", "Action": "*", "Resource": "arn:x:api/Prod/???/pets"}], "Allow"),
])
def test_policy_evaluation_follows_iam(statements, effect):
    assert policy_effect({"Statement": statements}, "arn:x:api/Prod/GET/pets") == effect


def test_resource_wildcards_span_slashes():
    assert arn_matches("arn:x:api/*", "arn:x:api/Prod/GET/a/b")
    assert not arn_matches("arn:x:api/Prod/GET/a", "arn:x:api/Prod/GET/a/b")


def test_rest_api_is_also_reached_at_the_execute_api_path(lab, lab_cloud, api):
    api_id = api["apis"][0]["api_id"]
    answer = lab.http(f"{lab_cloud.url}/_aws/execute-api/{api_id}/Prod/open?x=1", method="GET")
    event = json.loads(answer.body)
    assert answer.status == 200
    assert (event["path"], event["queryStringParameters"]) == ("/open", {"x": "1"})
    assert event["requestContext"]["stage"] == "Prod"


def test_iam_authorization_refuses_an_unsigned_request(lab, learner, api):
    mark = trace_mark(lab, learner)
    assert get(lab, api, "/iam")[:2] == (403, {"message": "Missing Authentication Token"})
    assert events_since(lab, learner, mark, "invocation") == []
