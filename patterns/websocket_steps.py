"""Scenario steps that drive a pattern's WebSocket API, as a browser tab would.

A step names a client and does one thing with it:
    websocket: {client: ada, connect: {name: Ada}}       # query string parameters (or {})
    websocket: {client: ada, send: {action: sendmessage, message: hi}}   # JSON, or a string
    websocket: {client: ada, close: true}
Clients live for the whole run (one WebSocket connection each) and are closed when it ends.
Each step's response holds what every client received during the step (`received`), which
the `received` expectation compares: {client: [message, ...]}, a message being the exact text
or a mapping the JSON message must contain.
"""

import json
import time
import weakref
from urllib.parse import urlencode

from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from .run_trace import StepResult, events_until_quiet

NO_WEBSOCKET_API = "this pattern has no WebSocket API to connect to"
UNKNOWN_CLIENT = "no open client {client!r}: connect it in an earlier step"
DELIVERY_WAIT_SECONDS = 5.0
RECEIVE_GRACE_SECONDS = 0.1

_clients: "weakref.WeakKeyDictionary[object, dict]" = weakref.WeakKeyDictionary()


def send_websocket(*, client, learner, deployment, name, request, sandbox):
    """Run one websocket step; the StepResult has the handshake's status (101 when the
    connection opened), the messages each client received and the hops it caused."""

    clients = _clients.setdefault(sandbox, {})
    who = str(request.get("client", "client"))
    result = StepResult(name=name, request=dict(request))
    mark = client.trace(learner, since=2**62)["last_seq"]
    received: dict[str, list] = {}
    if "connect" in request:
        query = urlencode(request["connect"] or {})
        result.request.update(method="CONNECT", path=f"{who}{'?' + query if query else ''}")
        result.response = _connect(clients, who, deployment, request)
    elif "send" in request:
        message = request["send"]
        text = message if isinstance(message, str) else json.dumps(message)
        result.request.update(method="SEND", path=f"{who}: {text}")
        result.response = _send(clients, who, text, received, client, learner, mark)
    else:
        result.request.update(method="CLOSE", path=who)
        websocket = clients.pop(who, None)
        if websocket is not None:
            _drain(websocket, received.setdefault(who, []))
            websocket.close()
        # The status of a close is its close code (1000, a normal closure).
        result.response = {"status": websocket.close_code if websocket else 400,
                           "json": None if websocket else {"error": UNKNOWN_CLIENT.format(
                               client=who)}}
    result.events = events_until_quiet(client, learner, mark)
    for other, websocket in clients.items():
        _drain(websocket, received.setdefault(other, []))
    result.response["received"] = {k: [_parsed(m) for m in v] for k, v in received.items()}
    result.response["body"] = json.dumps(result.response.get("json") or {
        "received": result.response["received"]})
    return result


def _connect(clients: dict, who: str, deployment: dict, request: dict) -> dict:
    endpoints = [a for a in deployment["apis"] if a["url"].startswith(("ws://", "wss://"))
                 and request.get("api") in (None, a["logical_id"])]
    if not endpoints:
        return {"status": None, "json": {"error": NO_WEBSOCKET_API}}
    if who in clients:
        clients.pop(who).close()
    query = urlencode(request["connect"] or {})
    url = endpoints[0]["url"] + (f"?{query}" if query else "")
    try:
        # Opened here, closed by a later step or at the run's end: no `with` block.
        clients[who] = connect(url, open_timeout=30, close_timeout=5, legacy=True)
    except InvalidStatus as refused:
        body = bytes(refused.response.body).decode("utf-8", "replace")
        return {"status": refused.response.status_code, "json": _parsed(body) or None,
                "refused": body}
    return {"status": 101, "json": None}


def _send(clients, who, text, received, client, learner, mark) -> dict:
    websocket = clients.get(who)
    if websocket is None:
        return {"status": 400, "json": {"error": UNKNOWN_CLIENT.format(client=who)}}
    try:
        websocket.send(text)
    except ConnectionClosed:
        return {"status": 410, "json": {"error": f"client {who!r} is closed"}}
    # The lab handles a message once it has read it off the socket; wait until it has (a
    # delivery to the route's function, or an answer to the sender) before waiting for quiet.
    deadline = time.monotonic() + DELIVERY_WAIT_SECONDS
    mine = received.setdefault(who, [])
    while time.monotonic() < deadline:
        events = client.trace(learner, since=mark)["events"]
        if any(e["type"] == "delivery" and e.get("source", "").startswith("apigateway-ws:")
               and (e.get("event") or {}).get("body") == text for e in events):
            break
        try:
            mine.append(websocket.recv(timeout=0.02))
            break
        except TimeoutError:
            continue
        except ConnectionClosed:
            break
    return {"status": None, "json": None}


def _drain(websocket, into: list) -> None:
    """Every message waiting for the client (after a short grace for frames in flight)."""
    while True:
        try:
            into.append(websocket.recv(timeout=RECEIVE_GRACE_SECONDS))
        except (TimeoutError, ConnectionClosed):
            return


def _parsed(message):
    if not isinstance(message, str):
        return message
    try:
        return json.loads(message)
    except json.JSONDecodeError:
        return message


def websockets_close(sandbox, *, client, learner) -> None:
    """Close the run's clients, and wait until their $disconnect has run in the sandbox, so
    the next run starts from a settled table."""

    clients = _clients.pop(sandbox, None) or {}
    if not clients:
        return
    mark = client.trace(learner, since=2**62)["last_seq"]
    for websocket in clients.values():
        websocket.close()
    events_until_quiet(client, learner, mark)


def received_check(expected: dict, result, sandbox):
    """{client: [message, ...]}: what each client received during the step, in order; a
    message is the exact text, or a mapping whose keys the JSON message has with these
    values."""
    actual = {who: ((result.response or {}).get("received") or {}).get(who, [])
              for who in expected}

    def matches(wanted, got) -> bool:
        if isinstance(wanted, dict):
            return isinstance(got, dict) and all(got.get(k) == v for k, v in wanted.items())
        return wanted == got

    passed = all(len(actual[who]) == len(wanted)
                 and all(matches(w, g) for w, g in zip(wanted, actual[who], strict=True))
                 for who, wanted in expected.items())
    return actual, passed
