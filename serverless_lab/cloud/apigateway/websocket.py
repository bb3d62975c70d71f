"""API Gateway WebSocket APIs on the lab cloud: connections, route selection, Lambda proxy events.

moto stores WebSocket APIs (ApiGatewayV2 with ProtocolType WEBSOCKET) but serves nothing, so
the lab listens for WebSocket clients at `ws://<host>:<port>/<api-id>/<stage>` (on AWS:
`wss://<api-id>.execute-api.<region>.amazonaws.com/<stage>`) and does what API Gateway does:
- the upgrade request first runs the `$connect` route; the connection is made only if its
  Lambda proxy integration answers a 2xx `statusCode`; otherwise the client gets that status
  (502 for an error or a malformed answer) and no connection;
- each text message selects a route with the API's route selection expression (e.g.
  `$request.body.action`); a message that selects no route goes to `$default`; with neither,
  the client is told `{"message": "Forbidden", ...}`, and when the integration fails,
  `{"message": "Internal server error", ...}`; a route answers the client only if it has a
  route response (two-way), otherwise the function's return value is dropped;
- a close (by the client, by DeleteConnection, after the idle timeout or the maximum
  connection duration) runs `$disconnect`, best effort as on AWS.
Backends reach clients through the @connections API (connections.py), served over HTTPS
at the host and port the events give as `requestContext.domainName`.
"""

import base64
import json
import os
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from moto.awslambda.models import lambda_backends
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State
from websockets.sync.server import serve

from serverless_lab.cloud import trace
from serverless_lab.cloud.awslambda.invoke_api import qualified_arn
from serverless_lab.cloud.awslambda.runtime.functions import Throttled
from serverless_lab.cloud.tls import tls_files_create

from .http_api import find_v2_api
from .messages import INTEGRATION_FUNCTION

CONNECTING, ACCEPTED, OPEN, CLOSING, CLOSED = "connecting", "accepted", "open", "closing", "closed"
MESSAGE_MAX = 128 * 1024  # API Gateway's WebSocket message payload limit
IDLE_TIMEOUT_SECONDS = 10 * 60
MAX_DURATION_SECONDS = 2 * 60 * 60
CONNECT_TIMEOUT_SECONDS = 30  # the $connect integration's 29 s, and the upgrade around it
FORBIDDEN = "Forbidden"
INTERNAL_ERROR = "Internal server error"
GOING_AWAY = (1001, "Going away")
NO_STATUS = (1005, "Client-side close frame status not set")
BODY_REFERENCE = re.compile(r"\$\{request\.body\.([\w.-]+)\}")
WHOLE_BODY_REFERENCE = re.compile(r"^\$request\.body\.([\w.-]+)$")

# The gateways running in this process, the latest last: deploys ask it for endpoint URLs.
_installed: list["WebSocketGateway"] = []


def new_id() -> str:
    """An id in the form API Gateway gives connections and requests (e.g. `HEJGadx-IAMCJPQ=`)."""
    return base64.urlsafe_b64encode(os.urandom(11)).decode()


def websocket_url(api_id: str, stage: str, *, region: str) -> str:
    """Where clients connect to a stage of a WebSocket API: the lab's endpoint if a lab cloud
    runs in this process, else AWS's."""
    if _installed:
        return f"{_installed[-1].url}/{api_id}/{stage}"
    return f"wss://{api_id}.execute-api.{region}.amazonaws.com/{stage}"


def find_websocket_api(api_id: str):
    return find_v2_api(api_id, protocol="WEBSOCKET")


def route_key_select(expression: str, body: str) -> str | None:
    """The route key a message selects (`$request.body.action` or `${request.body.a.b}` with
    static text around it), or None when the body is not JSON or lacks the property."""
    try:
        document = json.loads(body)
    except json.JSONDecodeError:
        return None

    def value(path: str) -> str:
        found = document
        for key in path.split("."):
            if not isinstance(found, dict) or key not in found:
                raise KeyError(path)
            found = found[key]
        return found if isinstance(found, str) else json.dumps(found)

    try:
        whole = WHOLE_BODY_REFERENCE.match(expression)
        return value(whole[1]) if whole else BODY_REFERENCE.sub(lambda m: value(m[1]), expression)
    except KeyError:
        return None


@dataclass(eq=False)
class Connection:
    connection_id: str
    account_id: str
    region: str
    api_id: str
    stage: str
    source_ip: str
    user_agent: str
    connected_at: int  # epoch milliseconds, as in the events
    last_active: float = field(default_factory=time.time)
    started: float = field(default_factory=time.monotonic)
    state: str = CONNECTING
    websocket: object = None  # websockets' ServerConnection, once open
    opened: threading.Event = field(default_factory=threading.Event)
    closed_by_lab: tuple[int, str] | None = None

    def send(self, data: str | bytes) -> bool:
        try:
            self.websocket.send(data)
            return True
        except (ConnectionClosed, AttributeError):
            return False

    def close(self, code: int, reason: str) -> None:
        """Close from the server side (DeleteConnection, timeouts); returns at once."""
        self.closed_by_lab = (code, reason)
        threading.Thread(target=self.websocket.close, args=(code, reason),
                         name="websocket-close", daemon=True).start()


class WebSocketGateway:
    """The WebSocket endpoint and the @connections API of every WebSocket API in the lab.
    `invoke(fn, event_json)` runs a function; `caller(access_key)` names who signed a call."""

    def __init__(self, *, host: str, invoke, recorder: trace.Recorder, caller, tls_dir: Path,
                 idle_timeout: float = IDLE_TIMEOUT_SECONDS,
                 max_duration: float = MAX_DURATION_SECONDS):
        from werkzeug.serving import make_server

        from serverless_lab.cloud.http_server import KeepAliveRequestHandler

        from .connections import ConnectionsApi

        self.invoke = invoke
        self.recorder = recorder
        self.idle_timeout = idle_timeout
        self.max_duration = max_duration
        self._connections: dict[str, Connection] = {}
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        reach = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
        # A class server fixes the port (LAB_WEBSOCKET_PORT) to open it to the class.
        port = int(os.environ.get("LAB_WEBSOCKET_PORT") or 0)
        self.server = serve(self._serve, host, port, process_request=self._handshake,
                            ping_interval=None, max_size=MESSAGE_MAX,
                            open_timeout=CONNECT_TIMEOUT_SECONDS)
        self.url = f"ws://{reach}:{self.server.socket.getsockname()[1]}"
        tls = tls_files_create(tls_dir, hosts=[reach, "localhost", "127.0.0.1"])
        self.ca_file = tls.ca_file
        self.management = make_server(
            host, 0, ConnectionsApi(self, caller=caller, recorder=recorder), threaded=True,
            request_handler=KeepAliveRequestHandler, ssl_context=tls.server_context())
        self.domain_name = f"{reach}:{self.management.server_port}"
        recorder.add_busy_check(self.busy)

    def start(self) -> "WebSocketGateway":
        for name, target in (("websocket", self.server.serve_forever),
                             ("websocket-connections-api", self.management.serve_forever),
                             ("websocket-reaper", self._reap)):
            threading.Thread(target=target, name=name, daemon=True).start()
        _installed.append(self)
        return self

    def stop(self) -> None:
        """Close every connection (each runs its $disconnect) and both servers."""
        self._stopped.set()
        if self not in _installed:  # never started: nothing serves, only the sockets exist
            self.server.socket.close()
            self.management.server_close()
            return
        _installed.remove(self)
        self.server.shutdown()
        self.management.shutdown()
        self.management.server_close()

    # -- connections -----------------------------------------------------------------------
    def connection_find(self, *, account_id: str, stage: str, connection_id: str):
        """An open connection of the account's API stage, as the @connections API sees it: one
        still in its $connect is not there yet; one just accepted is waited for briefly."""
        with self._lock:
            found = self._connections.get(connection_id)
        if found is None or found.account_id != account_id or found.stage != stage:
            return None
        if found.state == ACCEPTED:
            found.opened.wait(2.0)
        return found if found.state == OPEN else None

    def busy(self, account_id: str) -> bool:
        """A connection of the account is opening or closing (its $connect or $disconnect has
        not finished, or its client's close is not handled yet): the trace is not complete."""
        with self._lock:
            mine = [c for c in self._connections.values() if c.account_id == account_id]
        return any(c.state != OPEN or c.websocket.protocol.state is not State.OPEN
                   for c in mine)

    def connections(self, account_id: str) -> list[Connection]:
        with self._lock:
            return [c for c in self._connections.values() if c.account_id == account_id]

    def _reap(self) -> None:
        """Close connections past the idle timeout or the maximum duration, and those whose
        API is gone (deleted, or its sandbox reset), as API Gateway does."""
        while not self._stopped.wait(1.0):
            with self._lock:
                open_ = [c for c in self._connections.values()
                         if c.state == OPEN and c.closed_by_lab is None]
            now, clock = time.time(), time.monotonic()
            for connection in open_:
                if (now - connection.last_active > self.idle_timeout
                        or clock - connection.started > self.max_duration
                        or find_websocket_api(connection.api_id) is None):
                    connection.close(*GOING_AWAY)

    # -- the WebSocket server's two hooks --------------------------------------------------
    def _handshake(self, websocket, request):
        """The upgrade request: find the API and stage, then run $connect."""
        url = urlsplit(request.path)
        api_id, _, stage = url.path.strip("/").partition("/")
        found = find_websocket_api(api_id)
        if found is None or stage not in found[2].stages:
            return websocket.respond(HTTPStatus.FORBIDDEN, json.dumps({"message": FORBIDDEN}))
        account_id, region, api = found
        connection = Connection(
            connection_id=new_id(), account_id=account_id, region=region, api_id=api_id,
            stage=stage, source_ip=websocket.remote_address[0],
            user_agent=request.headers.get("User-Agent", ""),
            connected_at=int(time.time() * 1000))
        websocket.lab_connection = connection
        with self._lock:
            self._connections[connection.connection_id] = connection
        event = self._event(connection, "$connect", "CONNECT")
        headers = dict(request.headers.raw_items())
        headers.update({"X-Forwarded-For": connection.source_ip,
                        "X-Forwarded-Port": str(self.server.socket.getsockname()[1]),
                        "X-Forwarded-Proto": "http"})
        multi = parse_qs(url.query, keep_blank_values=True)
        event = {"headers": headers, "multiValueHeaders": {
                     k: request.headers.get_all(k) or [v] for k, v in headers.items()},
                 **({"queryStringParameters": {k: v[-1] for k, v in multi.items()},
                     "multiValueQueryStringParameters": multi} if multi else {}),
                 **event}
        refusal = self._connect_outcome(connection, api, event)
        if refusal is not None:
            with self._lock:
                self._connections.pop(connection.connection_id, None)
            connection.state = CLOSED
            status, body = refusal
            response = websocket.respond(status, body)
            del response.headers["Content-Type"]
            response.headers["Content-Type"] = "application/json"
            return response
        connection.state = ACCEPTED
        return None

    def _serve(self, websocket) -> None:
        """An open connection: its messages, in order, until it closes; then $disconnect."""
        connection = websocket.lab_connection
        connection.websocket = websocket
        connection.state = OPEN
        connection.opened.set()
        try:
            while True:
                message = websocket.recv()
                connection.last_active = time.time()
                if isinstance(message, bytes):  # no binary media types: AWS closes with 1003
                    connection.closed_by_lab = (1003, "Unsupported data")
                    websocket.close(*connection.closed_by_lab)
                    continue
                self._message(connection, message)
        except ConnectionClosed:
            pass
        finally:
            self._disconnect(connection)

    # -- routes ----------------------------------------------------------------------------
    def _message(self, connection: Connection, body: str) -> None:
        found = find_websocket_api(connection.api_id)
        if found is None:
            connection.close(*GOING_AWAY)
            return
        api = found[2]
        routes = {r.route_key: r for r in api.routes.values()}
        selected = route_key_select(api.route_selection_expression or "", body)
        route = routes.get(selected) if selected not in (None, "$connect", "$disconnect") \
            else None
        route = route or routes.get("$default")
        event = self._event(connection, route.route_key if route else "$default", "MESSAGE",
                            body=body)
        request_id = event["requestContext"]["requestId"]
        if route is None:
            self._error_to_client(connection, FORBIDDEN, request_id)
            return
        self.recorder.begin(connection.account_id)
        try:
            invocation = self._integrate(connection, api, route, event)
        finally:
            self.recorder.end(connection.account_id)
        if invocation is None or invocation.error is not None:
            self._error_to_client(connection, INTERNAL_ERROR, request_id)
        elif route.route_responses:  # a two-way route answers with the function's body
            answer = _json(invocation.payload)
            body_out = answer.get("body") if isinstance(answer, dict) else invocation.payload
            if isinstance(body_out, str) and body_out:
                connection.send(body_out)

    def _connect_outcome(self, connection, api, event) -> tuple[int, str] | None:
        """None when $connect lets the client in (or there is no $connect route); else the
        status and body the client gets instead of a connection."""
        route = next((r for r in api.routes.values() if r.route_key == "$connect"), None)
        if route is None:
            return None
        self.recorder.begin(connection.account_id)
        try:
            invocation = self._integrate(connection, api, route, event)
        finally:
            self.recorder.end(connection.account_id)
        answer = _json(invocation.payload) if invocation and invocation.error is None else None
        status = answer.get("statusCode") if isinstance(answer, dict) else None
        if not isinstance(status, int) or not _http_status(status):
            return HTTPStatus.BAD_GATEWAY, json.dumps({"message": INTERNAL_ERROR})
        if 200 <= status < 300:
            return None
        body = answer.get("body")
        return status, body if isinstance(body, str) else ""

    def _disconnect(self, connection: Connection) -> None:
        connection.state = CLOSING
        try:
            found = find_websocket_api(connection.api_id)
            route = next((r for r in found[2].routes.values() if r.route_key == "$disconnect"),
                         None) if found else None
            if route is None:
                return
            code, reason = connection.closed_by_lab or _close_received(connection.websocket)
            event = self._event(connection, "$disconnect", "DISCONNECT",
                                disconnect=(code, reason))
            host = {"Host": self.domain_name, "x-api-key": "", "X-Forwarded-For": "",
                    "x-restapi": ""}
            event = {"headers": host, "multiValueHeaders": {k: [v] for k, v in host.items()},
                     **event}
            self.recorder.begin(connection.account_id)
            try:
                self._integrate(connection, found[2], route, event)
            finally:
                self.recorder.end(connection.account_id)
        finally:
            with self._lock:
                self._connections.pop(connection.connection_id, None)
            connection.state = CLOSED

    def _integrate(self, connection: Connection, api, route, event: dict):
        """Invoke the route's Lambda proxy integration with the event: the Invocation, or
        None when there is no function to invoke or Lambda throttled it."""
        integration = api.integrations.get((route.target or "").removeprefix("integrations/"))
        if integration is None or (integration.integration_type or "").upper() != "AWS_PROXY":
            return None
        found = INTEGRATION_FUNCTION.search(integration.integration_uri or "")
        arn = found["arn"] if found else integration.integration_uri
        try:
            fn = lambda_backends[connection.account_id][connection.region].get_function(arn)
        except Exception:  # noqa: BLE001 - a dangling integration fails as on AWS
            return None
        self.recorder.record(connection.account_id, trace.DELIVERY,
                             source=f"apigateway-ws:{api.api_id}/{connection.stage}",
                             target=fn.function_name, mode="sync", route=route.route_key,
                             connection_id=connection.connection_id, event=event)
        try:
            return self.invoke(fn, json.dumps(event), qualified_arn=qualified_arn(fn, arn))
        except Throttled:
            return None

    def _error_to_client(self, connection: Connection, message: str, request_id: str) -> None:
        connection.send(json.dumps({"message": message,
                                    "connectionId": connection.connection_id,
                                    "requestId": request_id}))

    def _event(self, connection: Connection, route_key: str, event_type: str, *,
               body: str | None = None, disconnect: tuple[int, str] | None = None) -> dict:
        """The Lambda proxy event of a WebSocket route, key for key as API Gateway sends it."""
        now = datetime.now(UTC)
        request_id = new_id()
        context = {"routeKey": route_key}
        if event_type == "MESSAGE":
            context["messageId"] = new_id()
        if disconnect:
            context["disconnectStatusCode"], context["disconnectReason"] = disconnect
        context.update({
            "eventType": event_type,
            "extendedRequestId": request_id,
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "messageDirection": "IN",
            "stage": connection.stage,
            "connectedAt": connection.connected_at,
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "identity": {"userAgent": connection.user_agent, "sourceIp": connection.source_ip},
            "requestId": request_id,
            "domainName": self.domain_name,
            "connectionId": connection.connection_id,
            "apiId": connection.api_id,
        })
        event = {"requestContext": context}
        if body is not None:
            event["body"] = body
        event["isBase64Encoded"] = False
        return event


def _close_received(websocket) -> tuple[int, str]:
    received = websocket.protocol.close_rcvd if websocket is not None else None
    if received is None:
        return 1006, ""
    if received.code == NO_STATUS[0]:
        return NO_STATUS
    return received.code, received.reason


def _http_status(status: int) -> bool:
    try:
        HTTPStatus(status)
    except ValueError:
        return False
    return True


def _json(text: str | None):
    try:
        return json.loads(text or "null")
    except json.JSONDecodeError:
        return None
