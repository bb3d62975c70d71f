"""The @connections API of WebSocket APIs (`apigatewaymanagementapi` in boto3), over HTTPS.

Handlers call it as on AWS, with the endpoint built from their event:
`boto3.client("apigatewaymanagementapi", endpoint_url=f"https://{domain}/{stage}")`, which
sends `POST|GET|DELETE /<stage>/@connections/<connection id>`, signed with the function's
role (service `execute-api`). A connection is looked up in the signer's account only; one that
is closed, never existed or is still in its $connect answers 410 GoneException, as on AWS.
Each call is an `api_call` in the account's trace.
"""

import json
import re
import time
from datetime import UTC, datetime
from http import HTTPStatus

from serverless_lab.cloud import trace, wire

CONNECTION_PATH = re.compile(r"^/(?P<stage>[^/]+)/@connections/(?P<connection_id>[^/]+)$")
OPERATIONS = {"POST": "PostToConnection", "GET": "GetConnection", "DELETE": "DeleteConnection"}
DATA_MAX = 128 * 1024  # PostToConnection's Data, as a WebSocket message: 128 KB
SHOWN_DATA = 2048
GONE = (410, "GoneException", "The connection with the provided id no longer exists.")
FORBIDDEN = (403, "ForbiddenException", "Forbidden")
MISSING_TOKEN = (403, "ForbiddenException", "Missing Authentication Token")
TOO_LARGE = (413, "PayloadTooLargeException", "Message too long")


class ConnectionsApi:
    """The WSGI application the gateway serves on its HTTPS port."""

    def __init__(self, gateway, *, caller, recorder: trace.Recorder):
        self.gateway = gateway
        self.caller = caller  # access key -> (account id, who)
        self.recorder = recorder

    def __call__(self, environ, start_response):
        found = CONNECTION_PATH.match(environ.get("PATH_INFO", ""))
        operation = OPERATIONS.get(environ["REQUEST_METHOD"])
        signed = wire.signed_by(environ)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        data = environ["wsgi.input"].read(length) if length else b""
        if found is None or operation is None:
            return _answer(start_response, *FORBIDDEN)
        if signed is None:
            return _answer(start_response, *MISSING_TOKEN)
        account_id, caller = self.caller(signed[0])
        request = {"ConnectionId": found["connection_id"]}
        if operation == "PostToConnection":
            request["Data"] = data[:SHOWN_DATA].decode("utf-8", "replace")
        event = self.recorder.record(account_id, trace.API_CALL, service="execute-api",
                                     operation=operation, caller=caller, request=request)
        started = time.perf_counter()
        status, document = self._operation(operation, account_id, found["stage"],
                                           found["connection_id"], data)
        event.update(status=status,
                     duration_ms=round((time.perf_counter() - started) * 1000, 2))
        if status >= 400:
            return _answer(start_response, status, *document)
        return _answer(start_response, status, document=document)

    def _operation(self, operation: str, account_id: str, stage: str, connection_id: str,
                   data: bytes):
        connection = self.gateway.connection_find(account_id=account_id, stage=stage,
                                                  connection_id=connection_id)
        if connection is None:
            return GONE[0], GONE[1:]
        if operation == "GetConnection":
            return 200, {"connectedAt": _iso(connection.connected_at / 1000),
                         "identity": {"sourceIp": connection.source_ip,
                                      "userAgent": connection.user_agent},
                         "lastActiveAt": _iso(connection.last_active)}
        if operation == "DeleteConnection":
            connection.close(1000, "")
            return 204, None
        if len(data) > DATA_MAX:
            return TOO_LARGE[0], TOO_LARGE[1:]
        try:
            message = data.decode("utf-8")
        except UnicodeDecodeError:
            message = data
        if not connection.send(message):
            return GONE[0], GONE[1:]
        return 200, None


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace(
        "+00:00", "Z")


def _answer(start_response, status: int, error_type: str | None = None,
            message: str | None = None, *, document: dict | None = None):
    headers = [("Content-Type", "application/json")]
    if error_type:
        headers.append(("x-amzn-ErrorType", error_type))
        document = {"message": message}
    body = json.dumps(document).encode() if document is not None else b""
    headers.append(("Content-Length", str(len(body))))
    start_response(f"{status} {HTTPStatus(status).phrase}", headers)
    return [body]
