"""Lambda authorizers on HTTP APIs (API Gateway v2), as API Gateway runs them.

A route with authorization type CUSTOM names a REQUEST authorizer: a function API Gateway
invokes before the integration. Its identity sources (`$request.header.X`,
`$request.querystring.q`, `$stageVariables.v`, `$context.k`) must all be present, else the
caller gets 401 and the function is not invoked. The event is payload format 2.0 (`routeArn`,
`identitySource` as a list, the request as the 2.0 integration event has it, no body) or 1.0
(the REST API's REQUEST shape, `methodArn`). The answer is `{isAuthorized, context}` when the
authorizer has simple responses (2.0 only), an IAM policy otherwise, evaluated against the
route ARN. Allowed: the integration gets the context in `requestContext.authorizer.lambda`.
Denied: 403. An error, a timeout, a malformed answer or a function API Gateway may not invoke
(no resource-based permission and no invoke role): 500. Answers are cached by the identity
source values for the authorizer's TTL (0, or no identity sources: no cache), and a cached
IAM policy is evaluated again against each request's route ARN.
"""

import json
from types import SimpleNamespace

from moto.awslambda.models import lambda_backends

from serverless_lab.cloud import trace
from serverless_lab.cloud.awslambda.invoke_api import qualified_arn
from serverless_lab.cloud.awslambda.runtime.functions import Throttled
from serverless_lab.cloud.eventbridge import delivery as event_delivery

from .authorizers import (
    FORBIDDEN,
    FUNCTION_IN_URI,
    UNAUTHORIZED,
    Decision,
    ResultCache,
    header,
    policy_effect,
)
from .messages import HttpRequest, Route, proxy_event

APIGATEWAY_PRINCIPAL = "apigateway.amazonaws.com"
INTERNAL_ERROR = (500, {"message": "Internal Server Error"})
# HTTP API context variables that live somewhere else in the 2.0 event's requestContext.
CONTEXT_ALIASES = {"httpMethod": "http.method", "path": "http.path",
                   "protocol": "http.protocol", "identity.sourceIp": "http.sourceIp",
                   "identity.userAgent": "http.userAgent"}


def identity_sources(value) -> list[str]:
    """An authorizer's identity sources as a list (the API keeps a list; OpenAPI may say
    them as one comma-separated string)."""
    if isinstance(value, str):
        value = value.split(",")
    return [s.strip() for s in value or [] if s and s.strip()]


def identity_value(source: str, *, request: HttpRequest, event: dict) -> str | None:
    """The value of one identity source for a request whose 2.0 event is given."""
    kind, _, name = source.lstrip("$").partition(".")
    if kind == "request":
        where, _, name = name.partition(".")
        if where == "header":
            return header(request.headers, name)  # names are case-insensitive
        if where == "querystring":
            return (event.get("queryStringParameters") or {}).get(name)
        if where == "path":
            return (event.get("pathParameters") or {}).get(name)
        return None
    if kind == "stageVariables":
        return (event.get("stageVariables") or {}).get(name)
    if kind == "context":
        value = event["requestContext"]
        for part in CONTEXT_ALIASES.get(name, name).split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return None if value is None else str(value)
    return None


def authorizer_event_v2(event: dict, *, route_arn: str, values: list[str]) -> dict:
    """The 2.0 authorizer event: the 2.0 request (without its body) with `type`, `routeArn`
    and the identity source values, in AWS's documented key order."""
    document = {"version": "2.0", "type": "REQUEST", "routeArn": route_arn,
                "identitySource": values}
    for key in ("routeKey", "rawPath", "rawQueryString", "cookies", "headers",
                "queryStringParameters", "requestContext", "pathParameters", "stageVariables"):
        if key in event:
            document[key] = event[key]
    return document


def authorizer_event_v1(*, request: HttpRequest, path: str, route_key: str, account_id: str,
                        api_id: str, stage: str, request_id: str, stage_variables: dict,
                        parameters: dict, method_arn: str, values: list[str]) -> dict:
    """The 1.0 authorizer event: the REST API's REQUEST authorizer shape, whose
    `identitySource` (and `authorizationToken`) is the values joined by commas."""
    template = route_key.partition(" ")[2] or path
    proxy = proxy_event(
        request=HttpRequest(request.method, path, request.headers, request.query,
                            source_ip=request.source_ip),
        route=Route(resource=SimpleNamespace(id=None), resource_path=template,
                    path_parameters=parameters),
        account_id=account_id, api_id=api_id, stage=stage, request_id=request_id,
        stage_variables=stage_variables or None)
    joined = ",".join(values)
    return {"version": "1.0", "type": "REQUEST", "methodArn": method_arn,
            "identitySource": joined, "authorizationToken": joined,
            **{k: v for k, v in proxy.items() if k not in ("body", "isBase64Encoded")}}


def may_invoke(fn, *, arn: str, source_arn: str) -> bool:
    """Whether the function's resource-based policy lets API Gateway invoke it (`arn`, or the
    version or alias it names) from source_arn
    (`arn:aws:execute-api:<region>:<account>:<api>/authorizers/<id>`)."""
    return event_delivery.policy_allows(
        {"Statement": fn.policy.statements}, action="lambda:InvokeFunction",
        resources=[arn, fn.function_arn], source_arn=source_arn,
        source_account=source_arn.split(":")[4], service=APIGATEWAY_PRINCIPAL)


def _refuse(outcome: str, answer: tuple[int, dict]) -> Decision:
    return Decision.refuse(outcome, answer, rest=False)


class HttpLambdaAuthorizers:
    """Runs an HTTP API route's Lambda authorizer. `invoke(function, event_json)` is the lab's
    synchronous Lambda invoke; the recorder shows the authorizer's invocation as a hop (a
    delivery from the API to the function, with the event it sent)."""

    def __init__(self, *, invoke, recorder: trace.Recorder):
        self.invoke = invoke
        self.recorder = recorder
        self.cache = ResultCache()

    def authorize(self, *, account_id: str, region: str, api, stage: str, route,
                  request: HttpRequest, path: str, parameters: dict, event: dict,
                  stage_variables: dict) -> tuple[Decision, dict]:
        """(decision, authorizer summary for the trace) for a CUSTOM route; `event` is the
        request's 2.0 event without an authorizer."""
        authorizer = api.authorizers.get(route.authorizer_id)
        if authorizer is None or (authorizer.authorizer_type or "").upper() != "REQUEST":
            decision = _refuse("error", INTERNAL_ERROR)
            return decision, decision.summary(name=route.authorizer_id or "", kind="REQUEST")
        decision, error = self._decide(
            account_id=account_id, region=region, api=api, stage=stage, route=route,
            authorizer=authorizer, request=request, path=path, parameters=parameters,
            event=event, stage_variables=stage_variables)
        summary = decision.summary(name=authorizer.name, kind="REQUEST")
        summary["payload_format_version"] = authorizer.auth_payload_format_version
        if error:
            summary["error"] = error
        return decision, summary

    def _decide(self, *, account_id, region, api, stage, route, authorizer, request, path,
                parameters, event, stage_variables) -> tuple[Decision, str | None]:
        sources = identity_sources(authorizer.identity_source)
        values = [identity_value(s, request=request, event=event) for s in sources]
        if any(not v for v in values):
            return _refuse("unauthorized", UNAUTHORIZED), None
        route_arn = (f"arn:aws:execute-api:{region}:{account_id}:{api.api_id}/{stage}/"
                     f"{request.method}/{path.lstrip('/')}")
        version = str(authorizer.auth_payload_format_version or "2.0")
        simple = bool(authorizer.enable_simple_response) and version == "2.0"
        if version == "2.0":
            document = authorizer_event_v2(event, route_arn=route_arn, values=values)
        else:
            document = authorizer_event_v1(
                request=request, path=path, route_key=route.route_key, account_id=account_id,
                api_id=api.api_id, stage=stage, parameters=parameters,
                request_id=event["requestContext"]["requestId"],
                stage_variables=stage_variables, method_arn=route_arn, values=values)
        ttl = int(authorizer.auth_result_ttl or 0) if sources else 0
        key = (account_id, api.api_id, stage, authorizer.id, tuple(values))
        answer = self.cache.get(key) if ttl > 0 else None
        cached = answer is not None
        if answer is None:
            answer, error = self._invoke(account_id=account_id, region=region, api=api,
                                         stage=stage, authorizer=authorizer, route=route,
                                         document=document, simple=simple)
            if error:
                return _refuse("error", INTERNAL_ERROR), error
            self.cache.put(key, answer, ttl)
        decision = _simple_decision(answer) if simple else _policy_decision(answer, route_arn)
        decision.cached = cached
        return decision, None

    def _invoke(self, *, account_id, region, api, stage, authorizer, route, document,
                simple) -> tuple[dict | None, str | None]:
        """(the function's well-formed answer, None), or (None, why API Gateway failed)."""
        found = FUNCTION_IN_URI.search(authorizer.authorizer_uri or "")
        try:
            fn = lambda_backends[account_id][region].get_function(found["arn"])
        except Exception:  # noqa: BLE001 - a missing authorizer function is AWS's 500 too
            return None, "the authorizer's function does not exist"
        source_arn = (f"arn:aws:execute-api:{region}:{account_id}:{api.api_id}/authorizers/"
                      f"{authorizer.id}")
        if not authorizer.auth_creds_arn and not may_invoke(fn, arn=found["arn"],
                                                            source_arn=source_arn):
            return None, ("API Gateway may not invoke the authorizer's function: it has no "
                          "resource-based permission for this API and no invoke role")
        self.recorder.record(account_id, trace.DELIVERY,
                             source=f"apigateway:{api.api_id}/{stage}", target=fn.function_name,
                             mode="sync", route=route.route_key, authorizer=authorizer.name,
                             event=document)
        try:
            invocation = self.invoke(fn, json.dumps(document),
                                     qualified_arn=qualified_arn(fn, found["arn"]))
        except Throttled:
            return None, "the authorizer's function was throttled"
        if invocation.error is not None:
            return None, f"the authorizer's function failed: {invocation.error.get('errorType')}"
        try:
            answer = json.loads(invocation.payload or "null")
        except json.JSONDecodeError:
            answer = None
        if not (_well_formed_simple(answer) if simple else _well_formed_policy(answer)):
            return None, "the authorizer's answer is not in the format the authorizer expects"
        return answer, None


def _well_formed_simple(answer) -> bool:
    return (isinstance(answer, dict) and isinstance(answer.get("isAuthorized"), bool)
            and isinstance(answer.get("context") or {}, dict))


def _well_formed_policy(answer) -> bool:
    if not isinstance(answer, dict) or "principalId" not in answer:
        return False
    policy = answer.get("policyDocument")
    return (isinstance(policy, dict) and isinstance(policy.get("Statement"), list | dict)
            and isinstance(answer.get("context") or {}, dict))


def _simple_decision(answer: dict) -> Decision:
    if not answer["isAuthorized"]:
        return _refuse("deny", FORBIDDEN)
    return Decision(True, "allow", context={"lambda": answer.get("context") or {}})


def _policy_decision(answer: dict, route_arn: str) -> Decision:
    principal = str(answer["principalId"])
    if policy_effect(answer["policyDocument"], route_arn) != "Allow":
        decision = _refuse("deny", FORBIDDEN)
        decision.principal_id = principal
        return decision
    return Decision(True, "allow", principal_id=principal,
                    context={"lambda": answer.get("context") or {}})
