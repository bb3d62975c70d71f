"""What an AWS API request is, read off the wire: account, service, operation, a summary.

The trace shows each call a handler or a learner makes into a sandbox. Requests are signed
with SigV4, whose Authorization header names the access key and the service; the operation
is in X-Amz-Target (JSON protocols), the Action parameter (query protocols) or the REST path.
"""

import json
import re
from urllib.parse import parse_qs

CREDENTIAL = re.compile(r"Credential=(?P<key>[^/]+)/\d+/(?P<region>[^/]+)/(?P<service>[^/]+)/")
SUMMARY_LIMIT = 4096


def signed_by(environ) -> tuple[str, str] | None:
    """(access key, service) from the SigV4 Authorization header or presigned query."""
    header = environ.get("HTTP_AUTHORIZATION", "")
    found = CREDENTIAL.search(header)
    if not found:
        query = parse_qs(environ.get("QUERY_STRING", ""))
        credential = query.get("X-Amz-Credential", [""])[0]
        parts = credential.split("/")
        return (parts[0], parts[3]) if len(parts) >= 4 else None
    return found["key"], found["service"]


def region(environ) -> str:
    """The region a SigV4 request was signed for."""
    found = CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    return found["region"] if found else "us-east-1"


def operation(environ, service: str, body: bytes) -> str:
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return target.rsplit(".", 1)[-1]
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        action = parse_qs(body.decode("utf-8", "replace")).get("Action")
        if action:
            return action[0]
    action = parse_qs(environ.get("QUERY_STRING", "")).get("Action")
    if action:
        return action[0]
    return _rest_operation(environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/"), service)


def _rest_operation(method: str, path: str, service: str) -> str:
    parts = [p for p in path.split("/") if p]
    if service == "s3":
        if len(parts) >= 2:
            return {"PUT": "PutObject", "GET": "GetObject", "DELETE": "DeleteObject",
                    "HEAD": "HeadObject", "POST": "PostObject"}.get(method, method)
        return {"PUT": "CreateBucket", "GET": "ListObjects", "DELETE": "DeleteBucket",
                "HEAD": "HeadBucket"}.get(method, method)
    if service == "lambda" and path.endswith("/invocations"):
        return "Invoke"
    return f"{method} {path}"


def summary(environ, body: bytes):
    """The request's parameters, short enough to show: JSON or form fields."""
    if not body:
        return None
    text = body[:SUMMARY_LIMIT].decode("utf-8", "replace")
    if len(body) > SUMMARY_LIMIT:
        return text + "…"
    content_type = environ.get("CONTENT_TYPE", "")
    if "json" in content_type:
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text
    if content_type.startswith("application/x-www-form-urlencoded"):
        return {k: v[0] if len(v) == 1 else v for k, v in parse_qs(text).items()}
    return text
