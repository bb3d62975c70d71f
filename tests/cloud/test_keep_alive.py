"""The lab cloud keeps HTTP/1.1 connections open between requests (http_server.py), so a
handler's SDK calls do not each pay a TCP connect and a new server thread."""

import http.client
import json
from urllib.parse import urlsplit


def _connection(lab_cloud) -> http.client.HTTPConnection:
    url = urlsplit(lab_cloud.url)
    return http.client.HTTPConnection(url.hostname, url.port, timeout=10)


def _get(connection, path, **kwargs):
    connection.request("GET", path, **kwargs)
    response = connection.getresponse()
    return response, response.read()


def test_two_requests_share_one_connection(lab_cloud):
    connection = _connection(lab_cloud)
    first, body = _get(connection, "/_lab/health")
    socket_after_first = connection.sock

    second, second_body = _get(connection, "/_lab/health")

    assert first.status == second.status == 200
    assert json.loads(body)["ok"] and json.loads(second_body)["ok"]
    assert first.getheader("Connection") is None
    assert socket_after_first is not None and connection.sock is socket_after_first
    connection.close()


def test_a_body_the_application_leaves_unread_does_not_reach_the_next_request(lab_cloud):
    connection = _connection(lab_cloud)
    # The health check reads no body; these bytes must be drained, not parsed as a request.
    first, _ = _get(connection, "/_lab/health", body=b"GET /nowhere HTTP/1.1\r\n\r\n" * 100)
    second, body = _get(connection, "/_lab/health")

    assert first.status == second.status == 200
    assert json.loads(body)["ok"]
    connection.close()


def test_a_chunked_request_body_still_closes_the_connection(lab_cloud):
    connection = _connection(lab_cloud)
    connection.request("GET", "/_lab/health", body=iter([b"abc", b"def"]),
                       encode_chunked=True, headers={"Transfer-Encoding": "chunked"})
    response = connection.getresponse()
    response.read()

    assert response.status == 200
    assert response.getheader("Connection") == "close"
    connection.close()


def test_a_client_that_asks_to_close_gets_its_connection_closed(lab_cloud):
    connection = _connection(lab_cloud)
    response, _ = _get(connection, "/_lab/health", headers={"Connection": "close"})

    assert response.status == 200
    assert response.getheader("Connection") == "close"
    assert connection.sock is None  # http.client closed it, as the server said
    connection.close()


def test_an_sdk_client_makes_its_calls_over_one_connection(lab_cloud, sandbox):
    sqs = sandbox.client("sqs")
    url = sqs.create_queue(QueueName="kept-alive")["QueueUrl"]
    for n in range(5):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{n}")

    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "5"
    # botocore's urllib3 pool for the lab cloud opened one connection for all seven calls.
    pool = sqs._endpoint.http_session._manager.connection_from_url(lab_cloud.url)
    assert pool.num_connections == 1
