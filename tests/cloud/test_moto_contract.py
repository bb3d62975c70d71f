"""The lab replaces one private moto method. These fail loudly if moto changes under it."""

import inspect
import json
from importlib.metadata import version

from moto.awslambda.models import LambdaFunction

from serverless_lab.cloud.awslambda import moto_patch


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


def test_sqs_mapping_hooks_keep_the_signatures_the_lab_was_written_for():
    from serverless_lab.cloud.sqs import moto_patch as sqs_moto

    assert sqs_moto.signatures_match()


def test_moto_still_delivers_sqs_through_the_queue_attribute_the_lab_empties():
    # sqs_moto takes each new mapping off `queue.lambda_event_source_mappings`, which is what
    # moto's add_message walks to deliver synchronously, and deletes under `_messages_lock`.
    from serverless_lab.cloud.sqs import moto_patch as sqs_moto

    add_message = inspect.getsource(sqs_moto.ORIGINALS["add_message"])
    assert "self.lambda_event_source_mappings.items()" in add_message
    assert "with self._messages_lock:" in add_message
    create = inspect.getsource(sqs_moto.ORIGINALS["create"])
    assert "queue.lambda_event_source_mappings[esm.function_arn] = esm" in create


def test_the_lookups_the_lab_caches_are_still_pure_and_where_the_lab_expects_them():
    import moto.backends
    import moto.core.responses
    from moto.dynamodb.responses import DynamoHandler

    assert list(moto_patch.ORIGINAL_MODULE_LISTING()) == list(moto.backends.list_of_moto_modules())
    assert "dynamodb" in moto.backends.list_of_moto_modules()
    assert moto.core.responses.method_names_from_class(DynamoHandler) == \
        moto_patch.ORIGINAL_METHOD_NAMES(DynamoHandler)
    assert "put_item" in moto.core.responses.method_names_from_class(DynamoHandler)


def test_s3_notifications_still_encode_the_key_with_the_quote_the_lab_replaces():
    from moto.s3 import notifications

    from serverless_lab.cloud.s3 import moto_patch as s3_events

    assert "quote_plus(key.name)" in inspect.getsource(notifications._get_s3_event)
    assert s3_events.quote_key("uploads/red flower+1.jpg") == "uploads/red+flower%2B1.jpg"


def test_sns_publish_keeps_the_signature_the_size_check_wraps():
    from serverless_lab.cloud.sns import moto_patch as sns_moto

    parameters = list(inspect.signature(sns_moto.ORIGINAL_PUBLISH).parameters)
    assert parameters[:3] == ["self", "message", "arn"]
    assert sns_moto.MAXIMUM_MESSAGE_LENGTH == 256 * 1024


def test_queue_attributes_still_go_through_the_method_the_redrive_check_wraps():
    from moto.sqs.models import Queue

    from serverless_lab.cloud.sqs import redrive_policy as sqs_attributes

    source = inspect.getsource(sqs_attributes.ORIGINAL_SET_ATTRIBUTES)
    assert 'self._setup_dlq(attributes["RedrivePolicy"])' in source
    assert "self._set_attributes(" in inspect.getsource(Queue.__init__)


def test_cloudformation_permissions_still_add_the_statement_the_lab_scopes():
    from serverless_lab.cloud.deploy import lambda_aliases as deploy_aliases

    source = inspect.getsource(deploy_aliases.ORIGINAL_PERMISSION_CREATE)
    assert 'fn = backend.get_function(properties["FunctionName"])' in source
    assert "fn.policy.add_statement(raw=json.dumps(properties))" in source
