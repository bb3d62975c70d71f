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
    class Client:
        url = "http://127.0.0.1:4566"

        def http(self, *args, **kwargs):
            raise AssertionError("no request may leave for another host")

    result = runs._send(client=Client(), learner="ada", deployment=DEPLOYMENT, name="steal",
                        request={"method": "GET", "url": "http://169.254.169.254/latest/"})
    assert result.response["status"] is None
    assert result.response["error"] == runs.OUTSIDE_URL.format(url="http://169.254.169.254/latest/")
    # A lookalike host that merely starts with the lab's address is refused too.
    result = runs._send(client=Client(), learner="ada", deployment=DEPLOYMENT, name="steal",
                        request={"method": "GET", "url": "http://127.0.0.1:45660/x"})
    assert result.response["status"] is None


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
