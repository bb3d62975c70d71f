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
