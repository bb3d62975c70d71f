"""Lambda's Invoke API, answered by the lab: RequestResponse, Event and DryRun as AWS does.

moto would run every invocation type synchronously and report a handler's error as
`FunctionError: Handled`; AWS answers an asynchronous invoke with 202 before anything runs,
reports runtime errors as `Unhandled`, and refuses with 429 when concurrency runs out. An
invoke of a version or alias (`Qualifier`, or an ARN or name that ends with one) runs that
version, on its provisioned-concurrency environments first (provisioned.py).
"""

import base64
import json
import re
from urllib.parse import parse_qs, unquote

from moto.awslambda.exceptions import LambdaClientError
from moto.awslambda.models import lambda_backends

from .runtime.functions import Throttled

INVOKE_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations/?$")
SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024  # [[lambda.payload_sync]]
ASYNC_PAYLOAD_LIMIT = 1024 * 1024  # [[lambda.payload_async]]
LOG_TAIL_BYTES = 4096  # X-Amz-Log-Result carries the last 4 KB of the logs


def _answer(start_response, status: int, body: bytes, headers: dict[str, str]):
    reasons = {200: "OK", 202: "Accepted", 204: "No Content", 413: "Payload Too Large",
               429: "Too Many Requests"}
    headers = {"Content-Type": "application/json", **headers,
               "Content-Length": str(len(body))}
    start_response(f"{status} {reasons.get(status, 'OK')}", list(headers.items()))
    return [body]


def _error(start_response, status: int, error_type: str, message: str, **extra):
    body = json.dumps({"Type": "User", "message": message, **extra}).encode()
    return _answer(start_response, status, body, {"X-Amzn-ErrorType": error_type})


def handle(cloud, environ, start_response, *, account_id: str, region: str, fallback):
    """Answer an Invoke request, or hand it to moto (`fallback`) for the errors moto already
    words as AWS does (an unknown function, a bad qualifier)."""
    name = unquote(INVOKE_PATH.match(environ["PATH_INFO"])["name"])
    qualifier = parse_qs(environ.get("QUERY_STRING", "")).get("Qualifier", [None])[0]
    named_account = name.split(":")[4] if name.startswith("arn:") and name.count(":") >= 6 \
        else account_id
    if named_account != account_id:
        # Another sandbox's function: moto would look its name up in the caller's own account.
        return _error(start_response, 403, "AccessDeniedException",
                      f"User: arn:aws:sts::{account_id}:assumed-role is not authorized to "
                      f"perform: lambda:InvokeFunction on resource: {name} because no "
                      "resource-based policy allows the lambda:InvokeFunction action")
    try:
        fn = lambda_backends[account_id][region].get_function(name, qualifier)
    except LambdaClientError:
        return fallback(environ, start_response)
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    document = body.decode() if body else "{}"
    invocation_type = environ.get("HTTP_X_AMZ_INVOCATION_TYPE", "RequestResponse")
    if invocation_type == "DryRun":
        return _answer(start_response, 204, b"", {})
    if invocation_type == "Event":
        if len(body) > ASYNC_PAYLOAD_LIMIT:
            return _error(start_response, 413, "RequestEntityTooLargeException",
                          f"Request must be smaller than {ASYNC_PAYLOAD_LIMIT} bytes for the "
                          "InvokeAsync operation")
        request_id = cloud.async_invoker.submit(
            fn, document, qualified_arn=qualified_arn(fn, name, qualifier))
        return _answer(start_response, 202, b"", {"X-Amzn-RequestId": request_id})
    if len(body) > SYNC_PAYLOAD_LIMIT:
        return _error(start_response, 413, "RequestEntityTooLargeException",
                      f"Request must be smaller than {SYNC_PAYLOAD_LIMIT} bytes for the "
                      "Invoke operation")
    try:
        invocation = cloud.invoke(fn, document,
                                  qualified_arn=qualified_arn(fn, name, qualifier))
    except Throttled as throttled:
        return _error(start_response, 429, "TooManyRequestsException", "Rate Exceeded.",
                      Reason=throttled.reason)
    headers = {"X-Amzn-RequestId": invocation.request_id,
               "X-Amz-Executed-Version": invocation.version}
    if environ.get("HTTP_X_AMZ_LOG_TYPE") == "Tail":
        tail = invocation.logs.encode()[-LOG_TAIL_BYTES:]
        headers["X-Amz-Log-Result"] = base64.b64encode(tail).decode()
    if invocation.error is not None:
        headers["X-Amz-Function-Error"] = "Unhandled"
        payload = json.dumps(invocation.error)
    else:
        payload = invocation.payload or "null"
    return _answer(start_response, 200, payload.encode(), headers)


def qualified_arn(fn, name: str, qualifier: str | None = None) -> str | None:
    """The version or alias ARN a caller invoked fn through (None for $LATEST): from
    `Qualifier`, or from a name or ARN that ends with one (`my-function:live`). Every invoker
    that names a function this way (API Gateway, mappings, event targets) passes it on, so
    that version's or alias's provisioned environments serve it."""
    tail = name.rsplit("function:", 1)[-1]  # a name, or what an ARN ends with
    if not qualifier and ":" in tail:
        qualifier = tail.split(":", 1)[1]
    if not qualifier or qualifier == "$LATEST":
        return None
    return f"arn:aws:lambda:{fn.region}:{fn.account_id}:function:{fn.function_name}:{qualifier}"


def mapping_function(backend, esm):
    """(the function an event source mapping invokes now, the alias or version ARN it invokes
    through). moto's FunctionArn holds the version an alias pointed at when the mapping was
    made; Lambda invokes through the alias the mapping names (SAM's AutoPublishAlias puts the
    alias there), so after UpdateAlias the new version runs, on the alias's provisioned
    environments first."""
    fn = backend.get_function(esm.function_name)
    return fn, qualified_arn(fn, esm.function_name)
