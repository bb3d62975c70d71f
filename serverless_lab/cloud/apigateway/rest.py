"""API Gateway REST APIs with Lambda proxy integration, answering over HTTP on the lab cloud.

moto stores REST APIs (resources, methods, integrations, authorizers, stages) but routes
nothing, so this module does what API Gateway does with a request to
`/restapis/<api-id>/<stage>/_user_request_/<path>` (LocalStack's URL form) or
`/_aws/execute-api/<api-id>/<stage>/<path>`: find the resource and method, apply the stage's
throttling and the method's authorizer, build the v1 proxy event, invoke the function and map
its answer to HTTP. HTTP APIs (`/_aws/execute-api/<api-id>/...`) are http_api.py's.
"""

import json
import re
import time
import uuid

from moto.apigateway.models import apigateway_backends
from moto.awslambda.models import lambda_backends

from serverless_lab.cloud import trace
from serverless_lab.cloud.awslambda.invoke_api import qualified_arn
from serverless_lab.cloud.awslambda.runtime.functions import Throttled

from . import aws_integration as apigateway_aws
from .authorizers import RestAuthorizers
from .messages import (
    INTEGRATION_FUNCTION,
    HttpRequest,
    HttpResponse,
    Route,
    body_text,
    proxy_event,
    proxy_response,
)
from .throttling import TOO_MANY_REQUESTS, TokenBuckets

USER_REQUEST = re.compile(
    r"^/restapis/(?P<api_id>[^/]+)/(?P<stage>[^/]+)/_user_request_(?P<path>/.*)?$")
# LocalStack's other form, for REST and HTTP APIs alike: the stage (if any) leads the path.
EXECUTE_API = re.compile(r"^/_aws/execute-api/(?P<api_id>[^/]+)(?P<path>/.*)?$")

# API Gateway's own answers, word for word.
MISSING_TOKEN = (403, {"message": "Missing Authentication Token"})
FORBIDDEN = (403, {"message": "Forbidden"})
INTERNAL_ERROR = (502, {"message": "Internal server error"})
# A Lambda throttle is a server-side failure to the API's caller, not the caller's 429.
LAMBDA_THROTTLED = (500, {"message": "Internal server error"})


def find_api(api_id: str):
    """(account id, region, RestAPI) of the API with this id, in whichever account holds it."""
    for account_id, regions in list(apigateway_backends.items()):
        for region, backend in list(regions.items()):
            if api_id in backend.apis:
                return account_id, region, backend.apis[api_id]
    return None


def match_route(api, path: str) -> Route | None:
    """AWS's matching: a literal segment beats `{param}`, which beats a greedy `{proxy+}`."""
    children: dict[str | None, list] = {}
    root = None
    for resource in api.resources.values():
        if resource.parent_id is None:
            root = resource
        else:
            children.setdefault(resource.parent_id, []).append(resource)
    segments = [s for s in path.split("/") if s]

    def walk(resource, rest, params):
        if not rest:
            return resource, params
        ranked = sorted(children.get(resource.id, []), key=_specificity)
        for child in ranked:
            part = child.path_part
            if part.startswith("{") and part.endswith("+}"):
                return child, {**params, part[1:-2]: "/".join(rest)}
            if part.startswith("{") and part.endswith("}"):
                found = walk(child, rest[1:], {**params, part[1:-1]: rest[0]})
            elif part == rest[0]:
                found = walk(child, rest[1:], params)
            else:
                continue
            if found:
                return found
        return None

    if root is None or not (found := walk(root, segments, {})):
        return None
    resource, params = found
    return Route(resource=resource, resource_path=resource.get_path(), path_parameters=params)


def _specificity(resource) -> int:
    part = resource.path_part
    if part.endswith("+}"):
        return 2
    return 1 if part.startswith("{") else 0


class RestApiGateway:
    """Requests to REST APIs; stage-less `/_aws/execute-api/` requests to an HTTP API go on to
    the HTTP API gateway."""

    def __init__(self, *, invoke, recorder: trace.Recorder):
        from .http_api import HttpApiGateway

        self.invoke = invoke  # (moto LambdaFunction, event JSON) -> Invocation
        self.recorder = recorder
        self.buckets = TokenBuckets()
        self.authorizers = RestAuthorizers(invoke=invoke, recorder=recorder)
        self.http_apis = HttpApiGateway(invoke=invoke, recorder=recorder, buckets=self.buckets)

    def handle(self, *, api_id: str, stage: str | None, request: HttpRequest) -> HttpResponse:
        """A request to `api_id` at `stage`; with no stage (the `/_aws/execute-api/` form) the
        stage is the path's first segment, or the HTTP API's own choice."""
        if stage is None:
            if self.http_apis.owns(api_id):
                return self.http_apis.handle(api_id=api_id, request=request)
            stage, _, rest = request.path.lstrip("/").partition("/")
            request.path = "/" + rest
        found = find_api(api_id)
        if found is None:
            return HttpResponse.json(*FORBIDDEN)
        account_id, region, api = found
        http = self.recorder.record(account_id, trace.HTTP, method=request.method,
                                    path=request.path, api_id=api_id, stage=stage,
                                    request_body=body_text(request.body))
        self.recorder.begin(account_id)
        started = time.perf_counter()
        try:
            response, resource_path = self._route(account_id, region, api, stage, request, http)
        finally:
            self.recorder.end(account_id)
        http.update(status=response.status, resource=resource_path,
                    response_body=body_text(response.body), response_headers=response.headers,
                    duration_ms=round((time.perf_counter() - started) * 1000, 2))
        return response

    def _route(self, account_id, region, api, stage, request, http):
        if stage not in api.stages:
            return HttpResponse.json(*FORBIDDEN), None
        route = match_route(api, request.path)
        methods = route.resource.resource_methods if route else {}
        method = methods.get(request.method) or methods.get("ANY")
        if method is None:
            return HttpResponse.json(*MISSING_TOKEN), route.resource_path if route else None
        settings = stage_method_settings(api.stages[stage], route.resource_path, method)
        if settings and not self.buckets.take(
                (account_id, api.id, stage, route.resource_path, method.http_method),
                rate=float(settings.get("throttlingRateLimit", 0)),
                burst=int(settings.get("throttlingBurstLimit", 0))):
            return HttpResponse.json(*TOO_MANY_REQUESTS), route.resource_path
        request_id = str(uuid.uuid4())
        variables = api.stages[stage].variables or None
        event = proxy_event(request=request, route=route, account_id=account_id, api_id=api.id,
                            stage=stage, request_id=request_id, stage_variables=variables)
        refusal = self._authorize(account_id, region, api, stage, method, request, route,
                                  event, http)
        if refusal is not None:
            return refusal, route.resource_path
        integration = method.method_integration
        if integration and integration.integration_type.upper() == "MOCK":
            return mock_response(integration), route.resource_path
        if integration and integration.integration_type.upper() == "AWS":  # aws_integration.py
            return apigateway_aws.respond(
                integration=integration, request=request, account_id=account_id, region=region,
                api_id=api.id, stage=stage, resource_path=route.resource_path,
                recorder=self.recorder), route.resource_path
        arn = INTEGRATION_FUNCTION.search(integration.uri or "") if integration else None
        if not arn or integration.integration_type.upper() != "AWS_PROXY":
            return HttpResponse.json(*INTERNAL_ERROR), route.resource_path
        try:
            fn = lambda_backends[account_id][region].get_function(arn["arn"])
        except Exception:  # noqa: BLE001 - a dangling integration is API Gateway's 502 too
            return HttpResponse.json(*INTERNAL_ERROR), route.resource_path
        self.recorder.record(account_id, trace.DELIVERY, source=f"apigateway:{api.id}/{stage}",
                             target=fn.function_name, mode="sync",
                             route=f"{request.method} {route.resource_path}", event=event)
        try:
            # An integration on an alias or version ARN invokes it (its provisioned
            # environments first), as SAM's AutoPublishAlias wires it.
            invocation = self.invoke(fn, json.dumps(event),
                                     qualified_arn=qualified_arn(fn, arn["arn"]))
        except Throttled:
            return HttpResponse.json(*LAMBDA_THROTTLED), route.resource_path
        if invocation.error is not None:
            return HttpResponse.json(*INTERNAL_ERROR), route.resource_path
        return proxy_response(invocation.payload) or HttpResponse.json(*INTERNAL_ERROR), \
            route.resource_path

    def _authorize(self, account_id, region, api, stage, method, request, route, event, http):
        """The refusal when the method's authorization turns the request away; otherwise
        None, with `requestContext.authorizer` set in the event when an authorizer ran."""
        if (method.authorization_type or "").upper() == "AWS_IAM" and not (
                request.headers.get("Authorization", "").startswith("AWS4-HMAC-SHA256 ")):
            # IAM authorization wants a Signature Version 4 signed request. (A signed one is
            # let through: the lab does not check signatures against IAM policies.)
            return HttpResponse.json(*MISSING_TOKEN)
        authorized = self.authorizers.authorize(
            account_id=account_id, region=region, api=api, stage=stage, method=method,
            event=event, route=f"{request.method} {route.resource_path}",
            method_arn=(f"arn:aws:execute-api:{region}:{account_id}:{api.id}/{stage}/"
                        f"{request.method}/{request.path.lstrip('/')}"))
        if authorized is None:
            return None
        decision, http["authorizer"] = authorized
        if not decision.allowed:
            return HttpResponse.json(decision.status, decision.document, decision.headers)
        event["requestContext"]["authorizer"] = decision.context
        return None


def stage_method_settings(stage, resource_path: str, method) -> dict | None:
    """The stage's settings for a method (`/~1orders/GET`), else its defaults (`*/*`), if
    either sets throttling."""
    escaped = resource_path.replace("/", "~1")
    for key in (f"{escaped}/{method.http_method}", "*/*"):
        settings = (stage.method_settings or {}).get(key)
        if settings and "throttlingRateLimit" in settings:
            return settings
    return None


def mock_response(integration) -> HttpResponse:
    """A MOCK integration's answer (how SAM answers CORS preflights): the integration response
    its request template selects, with its static header values and body template."""
    template = (integration.request_templates or {}).get("application/json") or "{}"
    try:
        status = str(json.loads(template).get("statusCode", 200))
    except (json.JSONDecodeError, AttributeError):
        status = "200"
    responses = integration.integration_responses or {}
    chosen = responses.get(status) or next(iter(responses.values()), None)
    if chosen is None:
        return HttpResponse.json(*INTERNAL_ERROR)
    headers = {}
    for name, value in (chosen.response_parameters or {}).items():
        if name.startswith("method.response.header.") and value[:1] == value[-1:] == "'":
            headers[name.removeprefix("method.response.header.")] = value[1:-1]
    body = (chosen.response_templates or {}).get("application/json") or ""
    return HttpResponse(int(chosen.status_code), {"Content-Type": "application/json",
                                                  **headers}, body.encode())
