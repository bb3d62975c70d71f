"""`lab import`: bring your own SAM folder; it deploys, gets a page, and appears in the list."""

import json
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from patterns.catalog import IMPORTS_DIR, pattern_get

HELLO_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Description: Hello world, with an upload trigger. Brought from elsewhere.
Resources:
  Inbox:
    Type: AWS::S3::Bucket
  Certificate:
    Type: AWS::CertificateManager::Certificate
    Properties: {DomainName: example.com}
  HelloWorldFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: hello_world/
      Handler: app.lambda_handler
      Runtime: python3.12
      Events:
        HelloWorld:
          Type: Api
          Properties: {Path: /hello, Method: get}
        Upload:
          Type: S3
          Properties: {Bucket: !Ref Inbox, Events: "s3:ObjectCreated:*"}
"""
HELLO_HANDLER = """\
import json


def lambda_handler(event, context):
    if "Records" in event:
        return {"uploaded": event["Records"][0]["s3"]["object"]["key"]}
    return {"statusCode": 200, "body": json.dumps({"message": "hello world"})}
"""


@pytest.fixture
def hello(tmp_path) -> Path:
    folder = tmp_path / "sam-app"
    (folder / "hello_world").mkdir(parents=True)
    (folder / "template.yaml").write_text(HELLO_TEMPLATE)
    (folder / "hello_world" / "app.py").write_text(HELLO_HANDLER)
    yield folder
    shutil.rmtree(IMPORTS_DIR / "sam-app", ignore_errors=True)


def test_import_adds_a_pattern_that_deploys_runs_and_names_what_it_cannot_emulate(
        hello, lab_cloud, capsys, client, db):
    call_command("lab", "import", str(hello), "--learner", "importer")
    out = capsys.readouterr().out
    assert "Imported sam-app: Hello world, with an upload trigger" in out
    assert "not emulated by the lab: Certificate (AWS::CertificateManager::Certificate)" in out
    pattern = pattern_get("sam-app")
    assert pattern.imported and pattern.unsupported == (
        "Certificate (AWS::CertificateManager::Certificate)",)
    assert set(pattern.scenarios) == {"helloworldfunction-helloworld",
                                      "helloworldfunction-upload"}
    call_command("lab", "run", "sam-app", "helloworldfunction-upload", "--learner",
                 "importer", "--json")
    upload = json.loads(capsys.readouterr().out)
    assert upload["ok"] and upload["invocations"][0]["error"] is None
    call_command("lab", "run", "sam-app", "--learner", "importer", "--json")
    request = json.loads(capsys.readouterr().out)
    assert request["steps"][0]["response"]["json"] == {"message": "hello world"}
    page = client.get("/patterns/sam-app/").content.decode()
    assert "AWS::CertificateManager::Certificate" in page and "flowchart LR" in page
    assert 'href="/patterns/sam-app/"' in client.get("/").content.decode()


def test_a_handler_that_does_not_exist_is_refused_with_its_location(hello):
    (hello / "hello_world" / "app.py").unlink()
    with pytest.raises(CommandError, match=r"HelloWorldFunction: Handler 'app.lambda_handler' "
                                           r"has no app.py in .*hello_world"):
        call_command("lab", "import", str(hello))
    assert not (IMPORTS_DIR / "sam-app").exists()


def test_a_template_that_does_not_translate_leaves_nothing(hello):
    (hello / "template.yaml").write_text(HELLO_TEMPLATE.replace("Handler: app.lambda_handler\n",
                                                               ""))
    with pytest.raises(CommandError):
        call_command("lab", "import", str(hello))
    assert not (IMPORTS_DIR / "sam-app").exists()


def test_a_folder_with_no_template_is_refused_naming_it(tmp_path):
    folder = tmp_path / "empty-app"
    folder.mkdir()
    with pytest.raises(CommandError, match=r"empty-app: no template\.yaml"):
        call_command("lab", "import", str(folder))
    assert not (IMPORTS_DIR / "empty-app").exists()


def test_a_template_that_is_not_yaml_is_refused_with_its_file_and_line(hello):
    (hello / "template.yaml").write_text(HELLO_TEMPLATE.replace(
        "Runtime: python3.12", "Runtime: [python3.12"))
    with pytest.raises(CommandError, match=r"sam-app/template\.yaml, line 16, column 13: not "
                                           r"YAML or JSON: while parsing a flow sequence"):
        call_command("lab", "import", str(hello))
    assert not (IMPORTS_DIR / "sam-app").exists()


def test_a_code_uri_that_is_not_there_is_refused_naming_the_function(hello):
    shutil.rmtree(hello / "hello_world")
    with pytest.raises(CommandError, match=r"HelloWorldFunction: CodeUri 'hello_world/' is not "
                                           r"a folder or file next to the template"):
        call_command("lab", "import", str(hello))
    assert not (IMPORTS_DIR / "sam-app").exists()


def test_a_template_the_lab_cloud_refuses_leaves_no_pattern_and_no_stack(hello, lab_cloud, lab):
    (hello / "template.yaml").write_text(HELLO_TEMPLATE + """\
  Nightly:
    Type: AWS::Events::Rule
    Properties: {State: ENABLED}
""")
    with pytest.raises(CommandError, match=r"does not deploy: .*Nightly \(AWS::Events::Rule\)"):
        call_command("lab", "import", str(hello), "--learner", "import-refused")
    assert not (IMPORTS_DIR / "sam-app").exists()
    from tests.conftest import learner_client

    functions = learner_client(lab, "import-refused", "lambda").list_functions()["Functions"]
    assert functions == []


def test_every_trigger_type_has_a_sample_event_fitted_to_it():
    from patterns.importer import SAMPLE_EVENT_OF, sample_event

    for kind in SAMPLE_EVENT_OF:
        assert sample_event(kind), kind
    api = sample_event("Api", {"Path": "/orders/{id}", "Method": "put"})
    assert (api["path"], api["httpMethod"], json.loads(api["body"])) == (
        "/orders/example", "PUT", {"message": "hello"})
    http = sample_event("HttpApi", {"Path": "/x", "Method": "any"})
    assert http["requestContext"]["http"]["method"] == "POST" and http["rawPath"] == "/x"
    rule = sample_event("EventBridgeRule", {"Pattern": {"source": ["shop.orders"],
                                                        "detail-type": ["OrderPlaced"]}})
    assert (rule["source"], rule["detail-type"]) == ("shop.orders", "OrderPlaced")
    assert sample_event("Invoke") == {} and sample_event(None) == {}


def test_a_build_method_the_lab_does_not_run_is_named_in_the_plan(hello):
    from patterns.importer import import_plan

    (hello / "template.yaml").write_text(HELLO_TEMPLATE.replace("Resources:\n", """\
Resources:
  Deps:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: hello_world/}
    Metadata: {BuildMethod: makefile}
""", 1))
    plan = import_plan(hello)
    assert "Deps (AWS::Serverless::LayerVersion): its BuildMethod 'makefile' is not run by the " \
           "lab (only Python's requirements.txt builds, and makefiles that just pip-install " \
           "packages, are); what that build adds, such as dependencies, is missing" \
           in plan.unsupported  # hello_world/ has no Makefile at all
    assert not (IMPORTS_DIR / "sam-app").exists()


FITTED_TEMPLATE = {"Resources": {
    "Photos": {"Type": "AWS::S3::Bucket"},
    "Orders": {"Type": "AWS::DynamoDB::Table", "Properties": {
        "AttributeDefinitions": [{"AttributeName": "orderId", "AttributeType": "S"},
                                 {"AttributeName": "qty", "AttributeType": "N"}],
        "KeySchema": [{"AttributeName": "orderId", "KeyType": "HASH"},
                      {"AttributeName": "qty", "KeyType": "RANGE"}],
        "StreamSpecification": {"StreamViewType": "KEYS_ONLY"}}}}}


def test_an_s3_event_names_the_stacks_bucket_and_a_key_its_filter_passes_and_puts_it_first():
    import base64

    from patterns.importer import trigger_sample

    event, before = trigger_sample("S3", {
        "Bucket": {"Ref": "Photos"}, "Events": ["s3:ObjectCreated:Copy"],
        "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": "in/"},
                                       {"Name": "suffix", "Value": ".jpg"}]}}},
        FITTED_TEMPLATE)
    record = event["Records"][0]
    assert record["s3"]["bucket"]["name"] == "${Photos}"
    assert record["s3"]["object"]["key"] == "in/test/key.jpg"
    assert record["eventName"] == "ObjectCreated:Copy"
    [put] = before
    assert put["aws"]["params"]["Bucket"] == "${Photos}"
    assert put["aws"]["params"]["Key"] == "in/test/key.jpg"
    body = base64.b64decode(put["aws"]["params"]["Body"]["base64"])
    assert body.startswith(b"\xff\xd8") and len(body) == record["s3"]["object"]["size"]


def test_an_s3_removal_event_puts_nothing_and_a_bucket_outside_the_template_stays_generic():
    from patterns.importer import sample_event, trigger_sample

    removed, before = trigger_sample("S3", {"Bucket": {"Ref": "Photos"},
                                            "Events": "s3:ObjectRemoved:*"}, FITTED_TEMPLATE)
    assert removed["Records"][0]["eventName"] == "ObjectRemoved:Delete" and before == []
    elsewhere, before = trigger_sample("S3", {"Bucket": "someone-elses-bucket"},
                                       FITTED_TEMPLATE)
    assert elsewhere == sample_event("S3") and before == []


def test_a_dynamodb_stream_record_uses_the_tables_key_schema_and_view_type():
    from patterns.importer import sample_event

    event = sample_event("DynamoDB", {"Stream": {"Fn::GetAtt": ["Orders", "StreamArn"]}},
                         FITTED_TEMPLATE)
    stream = event["Records"][0]["dynamodb"]
    assert stream["Keys"] == {"orderId": {"S": "101"}, "qty": {"N": "101"}}
    assert stream["StreamViewType"] == "KEYS_ONLY" and "NewImage" not in stream
    assert ":table/${Orders}/stream/" in event["Records"][0]["eventSourceARN"]
    literal = sample_event("DynamoDB", {"Stream": "arn:aws:dynamodb:us-east-1:1:table/T/stream/x"},
                           FITTED_TEMPLATE)
    assert literal == sample_event("DynamoDB")


def test_an_imported_s3_triggers_scenario_puts_the_object_before_the_invoke(hello):
    from patterns.importer import import_plan

    scenario = import_plan(hello).scenarios["helloworldfunction-upload"]
    assert [next(k for k in ("aws", "invoke") if k in step) for step in scenario["steps"]] == [
        "aws", "invoke"]
    assert scenario["steps"][0]["aws"]["params"]["Key"] == "test/key"
    assert "puts a small object there first" in scenario["description"]
