"""Scenario steps that use what earlier steps returned: a URL to call, a key to expect, and
bytes to upload."""

import base64

import pytest

from patterns import runs
from patterns.catalog import Step

DEPLOYMENT = {"resources": {"Bucket": {"physical_id": "files-123"}}, "apis": []}
RESPONSES = {"ask": {"json": {"upload_url": "http://127.0.0.1:4566/files-123/a.txt?X-Amz-Signature=0f",
                              "key": "attachments/a.txt"}}}


def test_expectations_may_name_earlier_responses_and_resources():
    expect = {"objects": {"Bucket": ["{ask.key}"]}, "body": {"Bucket": "${Bucket}"}}
    assert runs._resolve(expect, RESPONSES, DEPLOYMENT, "upload") == {
        "objects": {"Bucket": ["attachments/a.txt"]}, "body": {"Bucket": "files-123"}}


def test_a_url_step_shows_its_url_as_its_path():
    request = runs._normalised("request", {"method": "put", "url": "{ask.upload_url}"})
    assert request["method"] == "PUT" and request["path"] == request["url"]


def test_a_url_outside_the_lab_cloud_is_refused_without_a_request():
    """A real LabClient and a real server outside the lab: the server must hear nothing."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from serverless_lab.cloud.client import LabClient

    heard = []

    class Outside(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            heard.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    outside = ThreadingHTTPServer(("127.0.0.1", 0), Outside)
    threading.Thread(target=outside.serve_forever, daemon=True).start()
    port = outside.server_address[1]
    # The lab's address is a prefix of the outside server's: a lookalike that merely starts
    # with it must be refused too. (Nothing needs to listen there: no request may leave.)
    client = LabClient(f"http://127.0.0.1:{port // 10}", timeout=5)
    try:
        for url in (f"http://127.0.0.1:{port}/latest/", f"http://127.0.0.1:{port}/x"):
            assert url.startswith(client.url)
            result = runs._send(client=client, learner="ada", deployment=DEPLOYMENT,
                                name="steal", request={"method": "GET", "url": url})
            assert result.response["status"] is None
            assert result.response["error"] == runs.OUTSIDE_URL.format(url=url)
        metadata = "http://169.254.169.254/latest/"
        result = runs._send(client=client, learner="ada", deployment=DEPLOYMENT, name="steal",
                            request={"method": "GET", "url": metadata})
        assert result.response["error"] == runs.OUTSIDE_URL.format(url=metadata)
    finally:
        outside.shutdown()
        outside.server_close()
    assert heard == []


@pytest.mark.parametrize(("written", "sent"), [
    ({"base64": base64.b64encode(b"\x89PNG\r\n").decode()}, b"\x89PNG\r\n"),
    ("plain text", "plain text"),
    ({"base64": "x", "other": 1}, {"base64": "x", "other": 1}),
])
def test_a_param_written_as_base64_is_sent_as_bytes(written, sent):
    assert runs._binary(written) == sent


def test_a_reference_to_no_earlier_step_stops_the_run_with_a_clear_error():
    step = Step(name="upload", kind="request", action={"url": "{nobody.url}"})
    with pytest.raises(KeyError, match="refers to '{nobody.url}'"):
        runs._resolve(step.action, RESPONSES, DEPLOYMENT, step.name)
