"""API Gateway REST APIs with Lambda proxy integration, answering over HTTP on the lab cloud.

moto stores REST APIs (resources, methods, integrations, stages) but routes nothing, so this
module does what API Gateway does with a request to
`/restapis/<api-id>/<stage>/_user_request_/<path>` (LocalStack's URL form): find the resource
and method, build the v1 proxy event, invoke the function and map its answer to HTTP.
"""

import base64
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qs

from moto.apigateway.models import apigateway_backends
from moto.awslambda.models import lambda_backends

from . import trace

USER_REQUEST = re.compile(
    r"^/restapis/(?P<api_id>[^/]+)/(?P<stage>[^/]+)/_user_request_(?P<path>/.*)?$")
INTEGRATION_FUNCTION = re.compile(r"functions/(?P<arn>arn:[^/]+)/invocations")

# API Gateway's own answers, word for word.
MISSING_TOKEN = (403, {"message": "Missing Authentication Token"})
FORBIDDEN = (403, {"message": "Forbidden"})
INTERNAL_ERROR = (502, {"message": "Internal server error"})


@dataclass
class HttpRequest:
    method: str
    path: str  # the path after the stage, e.g. /orders/42
    headers: dict[str, str]
    query: str = ""
    body: bytes = b""
    source_ip: str = "127.0.0.1"


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @classmethod
    def json(cls, status: int, document: dict) -> "HttpResponse":
        return cls(status, {"Content-Type": "application/json"}, json.dumps(document).encode())


@dataclass
class Route:
    resource: object  # moto's Resource
    resource_path: str  # e.g. /orders/{id}
    path_parameters: dict[str, str]


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


def proxy_event(*, request: HttpRequest, route: Route, account_id: str, api_id: str,
                stage: str, request_id: str) -> dict:
    """The v1 (REST API) Lambda proxy event, key for key as AWS documents it."""
    now = datetime.now(UTC)
    query = parse_qs(request.query, keep_blank_values=True)
    body_is_text = _is_text(request.headers.get("Content-Type", ""))
    body = None
    if request.body:
        body = (request.body.decode() if body_is_text
                else base64.b64encode(request.body).decode())
    return {
        "resource": route.resource_path,
        "path": request.path,
        "httpMethod": request.method,
        "headers": request.headers or None,
        "multiValueHeaders": {k: [v] for k, v in request.headers.items()} or None,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": route.path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "accountId": account_id,
            "apiId": api_id,
            "domainName": f"{api_id}.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": api_id,
            "extendedRequestId": request_id[:16],
            "httpMethod": request.method,
            "identity": {"sourceIp": request.source_ip,
                         "userAgent": request.headers.get("User-Agent"),
                         "accessKey": None, "accountId": None, "caller": None,
                         "cognitoAuthenticationProvider": None, "cognitoAuthenticationType": None,
                         "cognitoIdentityId": None, "cognitoIdentityPoolId": None,
                         "principalOrgId": None, "user": None, "userArn": None},
            "path": f"/{stage}{request.path}",
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "resourceId": route.resource.id,
            "resourcePath": route.resource_path,
            "stage": stage,
        },
        "body": body,
        "isBase64Encoded": bool(body) and not body_is_text,
    }


def _is_text(content_type: str) -> bool:
    return (not content_type or content_type.startswith("text/")
            or any(t in content_type for t in ("json", "xml", "x-www-form-urlencoded",
                                                "javascript")))


def proxy_response(payload: str | None) -> HttpResponse | None:
    """The HTTP answer from a proxy integration's payload, or None if it is malformed (which
    API Gateway turns into a 502)."""
    try:
        document = json.loads(payload or "null")
    except json.JSONDecodeError:
        return None
    if not isinstance(document, dict) or not isinstance(document.get("statusCode"), int):
        return None
    headers = {str(k): str(v) for k, v in (document.get("headers") or {}).items()}
    for name, values in (document.get("multiValueHeaders") or {}).items():
        headers[str(name)] = ", ".join(str(v) for v in values)
    body = document.get("body") or ""
    if not isinstance(body, str):
        return None
    data = base64.b64decode(body) if document.get("isBase64Encoded") else body.encode()
    return HttpResponse(document["statusCode"], headers, data)


class RestApiGateway:
    def __init__(self, *, invoke, recorder: trace.Recorder):
        self.invoke = invoke  # (moto LambdaFunction, event JSON) -> Invocation
        self.recorder = recorder

    def handle(self, *, api_id: str, stage: str, request: HttpRequest) -> HttpResponse:
        found = find_api(api_id)
        if found is None:
            return HttpResponse.json(*FORBIDDEN)
        account_id, region, api = found
        http = self.recorder.record(account_id, trace.HTTP, method=request.method,
                                    path=request.path, api_id=api_id, stage=stage,
                                    request_body=_text(request.body))
        self.recorder.begin(account_id)
        started = time.perf_counter()
        try:
            response, resource_path = self._route(account_id, region, api, stage, request)
        finally:
            self.recorder.end(account_id)
        http.update(status=response.status, resource=resource_path,
                    response_body=_text(response.body), response_headers=response.headers,
                    duration_ms=round((time.perf_counter() - started) * 1000, 2))
        return response

    def _route(self, account_id, region, api, stage, request):
        if stage not in api.stages:
            return HttpResponse.json(*FORBIDDEN), None
        route = match_route(api, request.path)
        methods = route.resource.resource_methods if route else {}
        method = methods.get(request.method) or methods.get("ANY")
        if method is None:
            return HttpResponse.json(*MISSING_TOKEN), route.resource_path if route else None
        integration = method.method_integration
        arn = INTEGRATION_FUNCTION.search(integration.uri or "") if integration else None
        if not arn or integration.integration_type.upper() != "AWS_PROXY":
            return HttpResponse.json(*INTERNAL_ERROR), route.resource_path
        try:
            fn = lambda_backends[account_id][region].get_function(arn["arn"])
        except Exception:  # noqa: BLE001 - a dangling integration is API Gateway's 502 too
            return HttpResponse.json(*INTERNAL_ERROR), route.resource_path
        request_id = str(uuid.uuid4())
        event = proxy_event(request=request, route=route, account_id=account_id,
                            api_id=api.id, stage=stage, request_id=request_id)
        self.recorder.record(account_id, trace.DELIVERY, source=f"apigateway:{api.id}/{stage}",
                             target=fn.function_name, mode="sync",
                             route=f"{request.method} {route.resource_path}", event=event)
        invocation = self.invoke(fn, json.dumps(event))
        if invocation.error is not None:
            return HttpResponse.json(*INTERNAL_ERROR), route.resource_path
        return proxy_response(invocation.payload) or HttpResponse.json(*INTERNAL_ERROR), \
            route.resource_path


def _text(data: bytes, limit: int = 16384) -> str:
    text = data[:limit].decode("utf-8", errors="replace")
    return text + ("…" if len(data) > limit else "")
