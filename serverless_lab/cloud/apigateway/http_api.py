"""API Gateway HTTP APIs (ApiGatewayV2) over HTTP on the lab cloud, payload format 2.0.

moto stores HTTP APIs (routes, integrations, authorizers, stages, CORS) but routes nothing.
A request to `/_aws/execute-api/<api-id>/<path>` is handled as API Gateway handles one to
`https://<api-id>.execute-api.<region>.amazonaws.com/<path>`: the stage is the path's first
segment when a stage has that name, else `$default`; CORS preflights are answered by API
Gateway itself; then the most specific route, its throttling and its JWT or Lambda authorizer
(http_authorizers.py), the 2.0 event and the function's answer in the 2.0 response format.
"""

import base64
import json
import time
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace
from urllib.parse import parse_qsl

from moto.apigatewayv2.models import apigatewayv2_backends
from moto.awslambda.models import lambda_backends

from serverless_lab.cloud import trace
from serverless_lab.cloud.awslambda.invoke_api import qualified_arn
from serverless_lab.cloud.awslambda.runtime.functions import Throttled

from .authorizers import header, jwt_authorize
from .http_authorizers import INTERNAL_ERROR, HttpLambdaAuthorizers
from .messages import (
    INTEGRATION_FUNCTION,
    HttpRequest,
    HttpResponse,
    Route,
    body_text,
    is_text,
    proxy_event,
    proxy_response,
)
from .throttling import TOO_MANY_REQUESTS, TokenBuckets

NOT_FOUND = (404, {"message": "Not Found"})
DEFAULT_STAGE = "$default"
DEFAULT_ROUTE = "$default"


def find_v2_api(api_id: str, *, protocol: str):
    """(account id, region, Api) of the API Gateway v2 API (HTTP or WEBSOCKET) with this id,
    in whichever account holds it."""
    for account_id, regions in list(apigatewayv2_backends.items()):
        for region, backend in list(regions.items()):
            api = backend.apis.get(api_id)
            if api is not None and api.protocol_type == protocol:
                return account_id, region, api
    return None


def find_http_api(api_id: str):
    return find_v2_api(api_id, protocol="HTTP")


def route_match(routes, method: str, path: str):
    """(route, path parameters) by AWS's precedence: a full match of path and method, then a
    route with a greedy path variable (the longest first), then `$default`. A route for the
    request's own method beats `ANY`."""
    segments = [s for s in path.split("/") if s]
    best, best_rank, default = None, None, None
    for route in routes:
        if route.route_key == DEFAULT_ROUTE:
            default = route
            continue
        verb, _, template = route.route_key.partition(" ")
        if verb not in (method, "ANY"):
            continue
        parameters = _path_match(template, segments)
        if parameters is None:
            continue
        parts = [p for p in template.split("/") if p]
        greedy = bool(parts) and parts[-1].endswith("+}")
        literals = sum(1 for p in parts if not p.startswith("{"))
        rank = (greedy, -len(parts) if greedy else 0, -literals, verb == "ANY")
        if best_rank is None or rank < best_rank:
            best, best_rank = (route, parameters), rank
    return best or ((default, {}) if default else None)


def _path_match(template: str, segments: list[str]) -> dict | None:
    parts = [p for p in template.split("/") if p]
    parameters = {}
    for index, part in enumerate(parts):
        if part.startswith("{") and part.endswith("+}"):
            rest = segments[index:]
            if not rest:
                return None
            parameters[part[1:-2]] = "/".join(rest)
            return parameters
        if index >= len(segments):
            return None
        if part.startswith("{") and part.endswith("}"):
            parameters[part[1:-1]] = segments[index]
        elif part != segments[index]:
            return None
    return parameters if len(parts) == len(segments) else None


def http_event(*, request: HttpRequest, api, route_key: str, stage: str, account_id: str,
               region: str, raw_path: str, path_parameters: dict, stage_variables: dict,
               authorizer: dict | None, request_id: str) -> dict:
    """The payload format 2.0 event, key for key as AWS documents it; the optional keys
    (cookies, queryStringParameters, body, pathParameters, stageVariables, authorizer) are
    left out when empty, as AWS does."""
    now = datetime.now(UTC)
    headers, cookies = {}, []
    for name, value in request.headers.items():
        if name.lower() == "cookie":
            cookies += [c.strip() for c in value.split(";") if c.strip()]
        else:
            key = name.lower()
            headers[key] = f"{headers[key]},{value}" if key in headers else value
    query: dict[str, str] = {}
    for name, value in parse_qsl(request.query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    body_is_text = is_text(request.headers.get("Content-Type", ""))
    context = {
        "accountId": account_id,
        "apiId": api.api_id,
        **({"authorizer": authorizer} if authorizer is not None else {}),
        "domainName": f"{api.api_id}.execute-api.{region}.amazonaws.com",
        "domainPrefix": api.api_id,
        "http": {"method": request.method, "path": raw_path, "protocol": "HTTP/1.1",
                 "sourceIp": request.source_ip, "userAgent": header(request.headers,
                                                                     "User-Agent") or ""},
        "requestId": request_id,
        "routeKey": route_key,
        "stage": stage,
        "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now.timestamp() * 1000),
    }
    event = {"version": "2.0", "routeKey": route_key, "rawPath": raw_path,
             "rawQueryString": request.query}
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = context
    if request.body:
        event["body"] = (request.body.decode() if body_is_text
                         else base64.b64encode(request.body).decode())
    if path_parameters:
        event["pathParameters"] = path_parameters
    event["isBase64Encoded"] = bool(request.body) and not body_is_text
    if stage_variables:
        event["stageVariables"] = stage_variables
    return event


def http_response(payload: str | None) -> HttpResponse | None:
    """The HTTP answer from a 2.0 integration's payload: a document with `statusCode` is taken
    as it is; any other valid JSON is a 200 whose body it is. None (a 500) otherwise."""
    try:
        document = json.loads(payload or "")
    except json.JSONDecodeError:
        return None
    if not isinstance(document, dict) or "statusCode" not in document:
        body = document if isinstance(document, str) else json.dumps(document)
        return HttpResponse(200, {"Content-Type": "application/json"}, body.encode())
    if not isinstance(document["statusCode"], int):
        return None
    headers = {str(k): str(v) for k, v in (document.get("headers") or {}).items()}
    body = document.get("body") or ""
    if not isinstance(body, str):
        return None
    data = base64.b64decode(body) if document.get("isBase64Encoded") else body.encode()
    return HttpResponse(document["statusCode"], headers, data,
                        cookies=[str(c) for c in document.get("cookies") or []])


def cors_origin(cors: dict, origin: str | None) -> str | None:
    """The Access-Control-Allow-Origin for a request's Origin, or None if it is not allowed."""
    if not origin:
        return None
    for allowed in cors.get("allowOrigins") or []:
        if allowed == "*":
            return "*"
        if allowed == origin or (allowed.endswith("*") and origin.startswith(allowed[:-1])):
            return origin
    return None


def cors_headers(cors: dict, origin: str, *, preflight: bool) -> dict[str, str]:
    headers = {"access-control-allow-origin": origin}
    if cors.get("allowCredentials"):
        headers["access-control-allow-credentials"] = "true"
    if preflight:
        if cors.get("allowMethods"):
            headers["access-control-allow-methods"] = ",".join(cors["allowMethods"])
        if cors.get("allowHeaders"):
            headers["access-control-allow-headers"] = ",".join(cors["allowHeaders"])
        if cors.get("maxAge") is not None:
            headers["access-control-max-age"] = str(cors["maxAge"])
    elif cors.get("exposeHeaders"):
        headers["access-control-expose-headers"] = ",".join(cors["exposeHeaders"])
    return headers


class HttpApiGateway:
    def __init__(self, *, invoke, recorder: trace.Recorder, buckets: TokenBuckets):
        self.invoke = invoke
        self.recorder = recorder
        self.buckets = buckets
        self.lambda_authorizers = HttpLambdaAuthorizers(invoke=invoke, recorder=recorder)

    def owns(self, api_id: str) -> bool:
        return find_http_api(api_id) is not None

    def handle(self, *, api_id: str, request: HttpRequest) -> HttpResponse:
        account_id, region, api = find_http_api(api_id)
        first, _, rest = request.path.lstrip("/").partition("/")
        if first and first != DEFAULT_STAGE and first in api.stages:
            stage, path = first, "/" + rest
        elif DEFAULT_STAGE in api.stages:
            stage, path = DEFAULT_STAGE, request.path
        else:
            return HttpResponse.json(*NOT_FOUND)
        http = self.recorder.record(account_id, trace.HTTP, method=request.method, path=path,
                                    api_id=api_id, stage=stage,
                                    request_body=body_text(request.body))
        self.recorder.begin(account_id)
        started = time.perf_counter()
        try:
            response, route_key = self._route(account_id, region, api, stage, path, request,
                                              http)
        finally:
            self.recorder.end(account_id)
        cors = api.cors_configuration or {}
        origin = cors_origin(cors, header(request.headers, "Origin")) if cors else None
        if cors and request.method != "OPTIONS":
            # With CORS configured, API Gateway's headers replace the integration's own.
            response.headers = {k: v for k, v in response.headers.items()
                                if not k.lower().startswith("access-control-")}
            if origin:
                response.headers.update(cors_headers(cors, origin, preflight=False))
        http.update(status=response.status, resource=route_key,
                    response_body=body_text(response.body), response_headers=response.headers,
                    duration_ms=round((time.perf_counter() - started) * 1000, 2))
        return response

    def _route(self, account_id, region, api, stage_name, path, request, http):
        cors = api.cors_configuration or {}
        if (cors and request.method == "OPTIONS" and header(request.headers, "Origin")
                and header(request.headers, "Access-Control-Request-Method")):
            origin = cors_origin(cors, header(request.headers, "Origin"))
            headers = cors_headers(cors, origin, preflight=True) if origin else {}
            return HttpResponse(204, headers), "OPTIONS (CORS preflight)"
        found = route_match(api.routes.values(), request.method, path)
        if found is None:
            return HttpResponse.json(*NOT_FOUND), None
        route, parameters = found
        stage = api.stages[stage_name]
        settings = {**(stage.default_route_settings or {}),
                    **((stage.route_settings or {}).get(route.route_key) or {})}
        if "throttlingBurstLimit" in settings or "throttlingRateLimit" in settings:
            if not self.buckets.take((account_id, api.api_id, stage_name, route.route_key),
                                     rate=float(settings.get("throttlingRateLimit", 0)),
                                     burst=int(settings.get("throttlingBurstLimit", 0))):
                return HttpResponse.json(*TOO_MANY_REQUESTS), route.route_key
        authorizer_context = None
        request_id = str(uuid.uuid4())
        kind = (route.authorization_type or "NONE").upper()
        if kind == "CUSTOM":
            event = http_event(request=request, api=api, route_key=route.route_key,
                               stage=stage_name, account_id=account_id, region=region,
                               raw_path=request.path, path_parameters=parameters,
                               stage_variables=stage.stage_variables, authorizer=None,
                               request_id=request_id)
            decision, http["authorizer"] = self.lambda_authorizers.authorize(
                account_id=account_id, region=region, api=api, stage=stage_name, route=route,
                request=request, path=path, parameters=parameters, event=event,
                stage_variables=stage.stage_variables)
            if not decision.allowed:
                return HttpResponse.json(decision.status, decision.document,
                                         decision.headers), route.route_key
            authorizer_context = decision.context
        elif kind == "JWT":
            authorizer = api.authorizers.get(route.authorizer_id)
            if authorizer is None:
                return HttpResponse.json(*INTERNAL_ERROR), route.route_key
            decision = jwt_authorize(authorizer, headers=request.headers,
                                     route_scopes=route.authorization_scopes or [])
            http["authorizer"] = decision.summary(name=authorizer.name, kind="JWT")
            if not decision.allowed:
                return HttpResponse.json(decision.status, decision.document,
                                         decision.headers), route.route_key
            authorizer_context = decision.context
        return self._integrate(account_id, region, api, stage_name, path, request, route,
                               parameters, authorizer_context, request_id), route.route_key

    def _integrate(self, account_id, region, api, stage_name, path, request, route,
                   parameters, authorizer_context, request_id) -> HttpResponse:
        integration = api.integrations.get((route.target or "").removeprefix("integrations/"))
        uri = integration.integration_uri or "" if integration else ""
        found = INTEGRATION_FUNCTION.search(uri)
        arn = found["arn"] if found else uri
        if integration is None or integration.integration_type.upper() != "AWS_PROXY":
            return HttpResponse.json(*INTERNAL_ERROR)
        try:
            fn = lambda_backends[account_id][region].get_function(arn)
        except Exception:  # noqa: BLE001 - a dangling integration is API Gateway's 500 too
            return HttpResponse.json(*INTERNAL_ERROR)
        stage = api.stages[stage_name]
        raw_path = request.path
        if integration.payload_format_version == "1.0":
            event = {"version": "1.0", **proxy_event(
                request=request, account_id=account_id, api_id=api.api_id, stage=stage_name,
                request_id=request_id, stage_variables=stage.stage_variables,
                authorizer=authorizer_context,
                route=Route(resource=SimpleNamespace(id=None), resource_path=path,
                            path_parameters=parameters))}
        else:
            event = http_event(request=request, api=api, route_key=route.route_key,
                               stage=stage_name, account_id=account_id, region=region,
                               raw_path=raw_path, path_parameters=parameters,
                               stage_variables=stage.stage_variables,
                               authorizer=authorizer_context, request_id=request_id)
        self.recorder.record(account_id, trace.DELIVERY,
                             source=f"apigateway:{api.api_id}/{stage_name}",
                             target=fn.function_name, mode="sync", route=route.route_key,
                             event=event)
        try:
            invocation = self.invoke(fn, json.dumps(event), qualified_arn=qualified_arn(fn, arn))
        except Throttled:
            return HttpResponse.json(*INTERNAL_ERROR)
        if invocation.error is not None:
            return HttpResponse.json(*INTERNAL_ERROR)
        parse = proxy_response if integration.payload_format_version == "1.0" else http_response
        return parse(invocation.payload) or HttpResponse.json(*INTERNAL_ERROR)
