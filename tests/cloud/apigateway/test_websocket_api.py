"""WebSocket APIs (ApiGatewayV2, ProtocolType WEBSOCKET) on the lab cloud: $connect and its
refusal, route selection with $default, pushing to clients through the @connections API over
HTTPS, GoneException after a disconnect, and the trace of each hop."""

import json

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from serverless_lab.cloud.apigateway.websocket import route_key_select
from tests.conftest import events_since, learner_client, trace_mark, wait_quiet

CONNECT_EVENT_KEYS = {"headers", "multiValueHeaders", "queryStringParameters",
                      "multiValueQueryStringParameters", "requestContext", "isBase64Encoded"}
CONTEXT_KEYS = {"routeKey", "eventType", "extendedRequestId", "requestTime", "messageDirection",
                "stage", "connectedAt", "requestTimeEpoch", "identity", "requestId",
                "domainName", "connectionId", "apiId"}


@pytest.fixture(scope="module")
def learner():
    """One account for the module: the API is deployed once; each test closes what it opens
    and reads the trace from its own mark."""
    return "t-websocket-api"


@pytest.fixture
def chat(deploy):
    """The test WebSocket API deployed in the module's sandbox: its deployment and ws URL."""
    deployment = deploy("websocket")
    (endpoint,) = [a for a in deployment["apis"] if a["url"].startswith("ws://")]
    return deployment, endpoint


def items(sandbox, deployment):
    table = deployment["resources"]["Connections"]["physical_id"]
    return sandbox.client("dynamodb").scan(TableName=table)["Items"]


def test_deploy_creates_the_websocket_api_its_routes_and_stage(chat, sandbox):
    deployment, endpoint = chat
    assert endpoint["logical_id"] == "Api" and endpoint["stage"] == "test"
    assert endpoint["url"].endswith(f"/{endpoint['api_id']}/test")
    api = sandbox.client("apigatewayv2").get_api(ApiId=endpoint["api_id"])
    assert (api["ProtocolType"], api["RouteSelectionExpression"]) == (
        "WEBSOCKET", "$request.body.action")
    routes = sandbox.client("apigatewayv2").get_routes(ApiId=endpoint["api_id"])["Items"]
    assert {r["RouteKey"] for r in routes} == {"$connect", "$disconnect", "$default",
                                               "broadcast", "whoami"}
    assert all(r["Target"].startswith("integrations/") for r in routes)
    assert deployment["resources"]["Api"] == {"type": "AWS::ApiGatewayV2::Api",
                                              "physical_id": endpoint["api_id"]}
    assert deployment["outputs"]["WebSocketUrl"] == (
        f"wss://{endpoint['api_id']}.execute-api.us-east-1.amazonaws.com/test")


def test_connect_runs_the_connect_route_and_stores_the_connection(lab, learner, chat, sandbox,
                                                                  lab_cloud):
    deployment, endpoint = chat
    mark = trace_mark(lab, learner)
    with connect(endpoint["url"] + "?name=ada&tag=a&tag=b",
                 additional_headers={"User-Agent": "lab-test"}):
        wait_quiet(lab, learner)
        (delivery,) = events_since(lab, learner, mark, "delivery")
        event = delivery["event"]
        context = event["requestContext"]
        assert set(event) == CONNECT_EVENT_KEYS and set(context) == CONTEXT_KEYS
        assert (context["routeKey"], context["eventType"], context["messageDirection"]) == (
            "$connect", "CONNECT", "IN")
        assert (context["stage"], context["apiId"]) == ("test", endpoint["api_id"])
        assert context["domainName"] == lab_cloud.websockets.domain_name
        assert context["identity"] == {"userAgent": "lab-test", "sourceIp": "127.0.0.1"}
        assert event["queryStringParameters"] == {"name": "ada", "tag": "b"}
        assert event["multiValueQueryStringParameters"]["tag"] == ["a", "b"]
        assert event["headers"]["Sec-WebSocket-Version"] == "13"
        assert event["isBase64Encoded"] is False
        assert delivery["source"] == f"apigateway-ws:{endpoint['api_id']}/test"
        assert (delivery["route"], delivery["mode"]) == ("$connect", "sync")
        assert delivery["target"] == deployment["functions"]["ConnectFunction"]
        (invocation,) = events_since(lab, learner, mark, "invocation")
        assert invocation["error"] is None
        stored = items(sandbox, deployment)
        assert [(i["connectionId"]["S"], i["name"]["S"]) for i in stored] == [
            (context["connectionId"], "ada")]


def test_connect_refused_by_a_non_2xx_status_makes_no_connection(lab, learner, chat, sandbox):
    deployment, endpoint = chat
    mark = trace_mark(lab, learner)
    with pytest.raises(InvalidStatus) as refused:
        connect(endpoint["url"])  # no name: the $connect function answers 401
    assert refused.value.response.status_code == 401
    assert bytes(refused.value.response.body) == b"name required"
    wait_quiet(lab, learner)
    assert items(sandbox, deployment) == []
    assert [d["route"] for d in events_since(lab, learner, mark, "delivery")] == ["$connect"]


def test_a_message_reaches_its_route_and_is_pushed_to_every_client(lab, learner, chat):
    deployment, endpoint = chat
    with connect(endpoint["url"] + "?name=ada") as ada, \
            connect(endpoint["url"] + "?name=grace") as grace:
        mark = trace_mark(lab, learner)
        ada.send(json.dumps({"action": "broadcast", "message": "hello, everyone"}))
        assert ada.recv(timeout=10) == "hello, everyone"
        assert grace.recv(timeout=10) == "hello, everyone"
        wait_quiet(lab, learner)
        (delivery,) = events_since(lab, learner, mark, "delivery")
        assert (delivery["route"], delivery["target"]) == (
            "broadcast", deployment["functions"]["BroadcastFunction"])
        context = delivery["event"]["requestContext"]
        assert set(delivery["event"]) == {"requestContext", "body", "isBase64Encoded"}
        assert set(context) == CONTEXT_KEYS | {"messageId"}
        assert (context["routeKey"], context["eventType"]) == ("broadcast", "MESSAGE")
        assert json.loads(delivery["event"]["body"])["message"] == "hello, everyone"
        posts = [c for c in events_since(lab, learner, mark, "api_call")
                 if c["operation"] == "PostToConnection"]
        assert len(posts) == 2 and all(p["status"] == 200 for p in posts)
        assert {p["service"] for p in posts} == {"execute-api"}
        assert {p["caller"] for p in posts} == {
            f"function:{deployment['functions']['BroadcastFunction']}"}
        assert posts[0]["request"]["Data"] == "hello, everyone"


def test_unrouted_messages_go_to_the_default_route(lab, learner, chat):
    deployment, endpoint = chat
    with connect(endpoint["url"] + "?name=ada") as ada:
        mark = trace_mark(lab, learner)
        ada.send("not JSON at all")
        assert json.loads(ada.recv(timeout=10)) == {"unrouted": "not JSON at all",
                                                    "sourceIp": "127.0.0.1"}
        ada.send(json.dumps({"action": "dance"}))  # JSON, but no route has that key
        assert json.loads(ada.recv(timeout=10))["unrouted"] == '{"action": "dance"}'
        wait_quiet(lab, learner)
        deliveries = events_since(lab, learner, mark, "delivery")
        assert [d["route"] for d in deliveries] == ["$default", "$default"]
        assert {d["target"] for d in deliveries} == {deployment["functions"]["DefaultFunction"]}
        operations = [c["operation"] for c in events_since(lab, learner, mark, "api_call")
                      if c["service"] == "execute-api"]
        assert operations == ["GetConnection", "PostToConnection"] * 2


def test_without_a_default_route_api_gateway_answers_forbidden(lab, learner, chat, sandbox):
    deployment, endpoint = chat
    apigatewayv2 = sandbox.client("apigatewayv2")
    routes = apigatewayv2.get_routes(ApiId=endpoint["api_id"])["Items"]
    default = next(r for r in routes if r["RouteKey"] == "$default")
    apigatewayv2.delete_route(ApiId=endpoint["api_id"], RouteId=default["RouteId"])
    try:
        with connect(endpoint["url"] + "?name=ada") as ada:
            mark = trace_mark(lab, learner)
            ada.send(json.dumps({"action": "dance"}))
            answer = json.loads(ada.recv(timeout=10))
            assert answer["message"] == "Forbidden"
            assert set(answer) == {"message", "connectionId", "requestId"}
            wait_quiet(lab, learner)
            assert events_since(lab, learner, mark, "delivery") == []
    finally:
        apigatewayv2.create_route(ApiId=endpoint["api_id"], RouteKey="$default",
                                  Target=default["Target"])


def test_a_two_way_route_answers_the_sender_with_the_functions_body(lab, learner, chat):
    _, endpoint = chat
    with connect(endpoint["url"] + "?name=ada") as ada:
        mark = trace_mark(lab, learner)
        ada.send(json.dumps({"action": "whoami"}))
        answer = ada.recv(timeout=10)
        wait_quiet(lab, learner)
        (delivery,) = events_since(lab, learner, mark, "delivery")
        assert answer == delivery["event"]["requestContext"]["connectionId"]


def test_after_a_disconnect_posting_to_the_connection_is_gone(lab, learner, chat, sandbox,
                                                              lab_cloud):
    deployment, endpoint = chat
    connections = learner_client(
        lab, learner, "apigatewaymanagementapi", verify=str(lab_cloud.websockets.ca_file),
        endpoint_url=f"https://{lab_cloud.websockets.domain_name}/test")
    with connect(endpoint["url"] + "?name=ada") as ada, \
            connect(endpoint["url"] + "?name=grace") as grace:
        grace_id = next(i["connectionId"]["S"] for i in items(sandbox, deployment)
                        if i["name"]["S"] == "grace")
        info = connections.get_connection(ConnectionId=grace_id)
        assert info["Identity"]["SourceIp"] == "127.0.0.1" and "ConnectedAt" in info
        mark = trace_mark(lab, learner)
        grace.close()
        wait_quiet(lab, learner)
        (delivery,) = events_since(lab, learner, mark, "delivery")
        context = delivery["event"]["requestContext"]
        assert (delivery["route"], context["eventType"]) == ("$disconnect", "DISCONNECT")
        assert (context["disconnectStatusCode"], context["connectionId"]) == (1000, grace_id)
        assert [i["name"]["S"] for i in items(sandbox, deployment)] == ["ada"]
        with pytest.raises(connections.exceptions.GoneException):
            connections.post_to_connection(ConnectionId=grace_id, Data=b"still there?")
        # A stale id (its $disconnect missed, as AWS allows): the sender's GoneException
        # handler deletes it.
        sandbox.client("dynamodb").put_item(
            TableName=deployment["resources"]["Connections"]["physical_id"],
            Item={"connectionId": {"S": grace_id}, "name": {"S": "grace"}})
        mark = trace_mark(lab, learner)
        ada.send(json.dumps({"action": "broadcast", "message": "anyone?"}))
        assert ada.recv(timeout=10) == "anyone?"
        wait_quiet(lab, learner)
        posts = [(c["request"]["ConnectionId"], c["status"])
                 for c in events_since(lab, learner, mark, "api_call")
                 if c["operation"] == "PostToConnection"]
        assert sorted(status for _, status in posts) == [200, 410]
        assert (grace_id, 410) in posts
        assert [i["name"]["S"] for i in items(sandbox, deployment)] == ["ada"]


def test_delete_connection_closes_the_client_and_runs_disconnect(lab, learner, chat,
                                                                 lab_cloud):
    deployment, endpoint = chat
    connections = learner_client(
        lab, learner, "apigatewaymanagementapi", verify=str(lab_cloud.websockets.ca_file),
        endpoint_url=f"https://{lab_cloud.websockets.domain_name}/test")
    with connect(endpoint["url"] + "?name=ada") as ada:
        mark = trace_mark(lab, learner)
        ada.send(json.dumps({"action": "whoami"}))
        connection_id = ada.recv(timeout=10)
        connections.delete_connection(ConnectionId=connection_id)
        with pytest.raises(ConnectionClosed):
            ada.recv(timeout=10)
        wait_quiet(lab, learner)
        routes = [d["route"] for d in events_since(lab, learner, mark, "delivery")]
        assert routes == ["whoami", "$disconnect"]
        calls = [(c["operation"], c["caller"]) for c in events_since(lab, learner, mark, "api_call")
                 if c["service"] == "execute-api"]
        assert calls == [("DeleteConnection", f"learner:{learner}")]


def test_idle_connections_are_closed_with_going_away(lab, learner, chat, lab_cloud):
    _, endpoint = chat
    gateway = lab_cloud.websockets
    previous, gateway.idle_timeout = gateway.idle_timeout, 0.5
    try:
        with connect(endpoint["url"] + "?name=ada") as ada:
            # Closed by the gateway (not a recv timeout) long before the default idle time of
            # 10 minutes: the 0.5 s set above did it.
            with pytest.raises(ConnectionClosed) as closed:
                ada.recv(timeout=60)
            assert closed.value.rcvd.code == 1001
    finally:
        gateway.idle_timeout = previous
    wait_quiet(lab, learner)


def test_unknown_api_or_stage_is_forbidden(lab_cloud, chat):
    _, endpoint = chat
    for url in (endpoint["url"].replace("/test", "/nostage"),
                f"{lab_cloud.websockets.url}/noapi/test"):
        with pytest.raises(InvalidStatus) as refused:
            connect(url)
        assert refused.value.response.status_code == 403


@pytest.mark.parametrize(("expression", "body", "selected"), [
    ("$request.body.action", '{"action": "send"}', "send"),
    ("$request.body.action", '{"other": 1}', None),
    ("$request.body.action", "not json", None),
    ("$request.body.data.kind", '{"data": {"kind": "x"}}', "x"),
    ("${request.body.service}/${request.body.action}", '{"service": "chat", "action": "join"}',
     "chat/join"),
    ("$request.body.n", '{"n": 3}', "3"),
])
def test_route_selection_expressions(expression, body, selected):
    assert route_key_select(expression, body) == selected
