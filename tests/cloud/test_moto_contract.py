"""The lab replaces one private moto method. These fail loudly if moto changes under it."""

import inspect
import json
from importlib.metadata import version

from moto.awslambda.models import LambdaFunction

from serverless_lab.cloud import moto_patch


def test_moto_is_the_pinned_version():
    assert version("moto") == "5.2.5"


def test_replaced_method_keeps_the_signature_the_lab_was_written_for():
    assert str(inspect.signature(moto_patch.ORIGINAL_INVOKE)) == moto_patch.EXPECTED_SIGNATURE
    assert moto_patch.signature_matches()


def test_moto_invoke_still_calls_the_replaced_method_with_the_event():
    # LambdaFunction.invoke (the Invoke API) must route through _invoke_lambda(event=...).
    source = inspect.getsource(LambdaFunction.invoke)
    assert "self._invoke_lambda(event=body)" in source


def test_invoke_api_runs_the_handler_in_the_lab_runtime(lab_cloud, deploy, sandbox):
    deployment = deploy("echo")
    response = sandbox.client("lambda").invoke(
        FunctionName=deployment["functions"]["EchoFunction"], Payload=b'{"hello": "moto"}')
    payload = json.loads(response["Payload"].read())
    assert payload["event"] == {"hello": "moto"}
    assert payload["environment"]["GREETING"] == "hello"
    assert LambdaFunction._invoke_lambda is not moto_patch.ORIGINAL_INVOKE
