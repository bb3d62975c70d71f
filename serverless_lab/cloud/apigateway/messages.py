"""What passes between a client, API Gateway and a Lambda integration, for every API type.

The request and answer as the lab's gateways see them, the route a request matched, and the
version 1.0 proxy event and answer: REST APIs send and read them, and so do HTTP APIs with
payload format 1.0 (integrations and Lambda authorizers). The REST, HTTP and WebSocket
gateways all import from here, and none of them from another.
"""

import base64
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qs

INTEGRATION_FUNCTION = re.compile(r"functions/(?P<arn>arn:[^/]+)/invocations")
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
    cookies: list[str] = field(default_factory=list)  # each one a Set-Cookie header

    @classmethod
    def json(cls, status: int, document: dict, headers: dict | None = None) -> "HttpResponse":
        return cls(status, {"Content-Type": "application/json", **(headers or {})},
                   json.dumps(document, separators=(",", ":")).encode())


@dataclass
class Route:
    resource: object  # moto's Resource
    resource_path: str  # e.g. /orders/{id}
    path_parameters: dict[str, str]


def proxy_event(*, request: HttpRequest, route: Route, account_id: str, api_id: str,
                stage: str, request_id: str, stage_variables: dict | None = None,
                authorizer: dict | None = None) -> dict:
    """The v1 (REST API) Lambda proxy event, key for key as AWS documents it;
    `requestContext.authorizer` is there when an authorizer let the request in."""
    now = datetime.now(UTC)
    query = parse_qs(request.query, keep_blank_values=True)
    body_is_text = is_text(request.headers.get("Content-Type", ""))
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
        "stageVariables": stage_variables or None,
        "requestContext": {
            "accountId": account_id,
            "apiId": api_id,
            **({"authorizer": authorizer} if authorizer is not None else {}),
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


def is_text(content_type: str) -> bool:
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


def body_text(data: bytes, limit: int = 16384) -> str:
    text = data[:limit].decode("utf-8", errors="replace")
    return text + ("…" if len(data) > limit else "")
