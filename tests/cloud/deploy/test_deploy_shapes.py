"""Template shapes real SAM folders have (issue 17): read as CloudFormation reads them, every
local artefact packaged, and what moto's CloudFormation cannot do named, never a 500."""

import io
import json
import zipfile
from pathlib import Path

import pytest

from serverless_lab.cloud.client import LabCloudError
from serverless_lab.cloud.deploy.parameters import template_parameters_apply
from serverless_lab.cloud.deploy.sam import package_functions, template_parse

HANDLER = "def handler(event, context):\n    return {'ok': True}\n"


def sam_folder(root: Path, template: str, files: dict[str, str] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "template.yaml").write_text(template)
    for name, text in (files or {"src/app.py": HANDLER}).items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


FUNCTION = """\
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
"""


def test_dates_stay_strings_and_short_forms_become_long_forms():
    template = template_parse("AWSTemplateFormatVersion: 2010-09-09\n"
                              "Resources:\n  R:\n    Properties:\n"
                              "      Version: 2012-10-17\n      A: !GetAtt Q.Arn\n"
                              "      B: !Sub ['${X}', {X: !Ref Q}]\n")
    assert template["AWSTemplateFormatVersion"] == "2010-09-09"
    properties = template["Resources"]["R"]["Properties"]
    assert properties == {"Version": "2012-10-17", "A": {"Fn::GetAtt": ["Q", "Arn"]},
                          "B": {"Fn::Sub": ["${X}", {"X": {"Ref": "Q"}}]}}
    json.dumps(template)  # what a deploy sends moto


def test_a_layer_folder_is_packaged_into_python_for_opt(tmp_path):
    folder = sam_folder(tmp_path / "app", """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Shared:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: shared/}
    Metadata: {BuildMethod: python3.12}
""" + FUNCTION + "      Layers: [!Ref Shared]\n", {"src/app.py": HANDLER,
                                                 "shared/util.py": "X = 1\n"})
    stored = {}

    def upload(key, data):
        stored[key] = data
        return f"s3://bucket/{key}"

    packaged, _ = package_functions(template_parse((folder / "template.yaml").read_text()),
                                    folder, upload=upload)
    layer_key = packaged["Resources"]["Shared"]["Properties"]["ContentUri"].split("/")[-1]
    code_key = packaged["Resources"]["Fn"]["Properties"]["CodeUri"].split("/")[-1]
    assert zipfile.ZipFile(io.BytesIO(stored[layer_key])).namelist() == [
        "python/util.py"]
    assert zipfile.ZipFile(io.BytesIO(stored[code_key])).namelist() == ["app.py"]
    assert packaged["Resources"]["Fn"]["Properties"]["Layers"] == [{"Ref": "Shared"}]


def test_parameters_without_default_get_a_value_the_learner_is_told_of():
    template = {"Parameters": {"Bucket": {"Type": "String"},
                               "Size": {"Type": "Number", "MinValue": 3},
                               "Stage": {"Type": "String", "Default": "prod"}},
                "Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {
                    "BucketName": {"Fn::Sub": "${Bucket}-${Stage}-${AWS::Region}"}}}}}
    resolved, parameters, notes = template_parameters_apply(template)
    assert resolved["Resources"]["B"]["Properties"]["BucketName"] == {
        "Fn::Sub": "lab-bucket-prod-${AWS::Region}"}
    assert {p["ParameterKey"]: p["ParameterValue"] for p in parameters} == {
        "Bucket": "lab-bucket", "Size": "3", "Stage": "prod"}
    assert [n.split(":")[0] for n in notes] == ["parameter Bucket has no default",
                                                "parameter Size has no default"]


def test_a_resource_moto_crashes_on_is_named_and_left_out_and_the_rest_deploys(
        lab, learner, tmp_path, sandbox):
    folder = sam_folder(tmp_path / "crash", """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Broken:
    Type: AWS::SNS::Topic
    Properties: {Subscription: not-a-list}
""" + FUNCTION)
    deployment = lab.deploy(learner, str(folder), stack="crash")
    assert set(deployment["functions"]) == {"Fn"}
    [note] = [n for n in deployment["notes"] if "Broken" in n]
    assert note.startswith("not emulated by the lab: Broken (AWS::SNS::Topic): the emulator "
                           "failed creating it (TypeError")
    invocation = lab.invoke(learner, "crash", "Fn", {})
    assert invocation["error"] is None


def test_another_services_refusal_names_the_resource_and_leaves_nothing(
        lab, learner, tmp_path, sandbox):
    folder = sam_folder(tmp_path / "refused", """\
Transform: AWS::Serverless-2016-10-31
Resources:
  Nightly:
    Type: AWS::Events::Rule
    Properties: {State: ENABLED}
""" + FUNCTION)
    with pytest.raises(LabCloudError, match=r"Nightly \(AWS::Events::Rule\): "
                                            r"ValidationException: Parameter\(s\) EventPattern"):
        lab.deploy(learner, str(folder), stack="refused")
    assert sandbox.client("lambda").list_functions()["Functions"] == []
    stacks = sandbox.client("cloudformation").list_stacks()["StackSummaries"]
    assert all(s["StackStatus"] == "DELETE_COMPLETE" for s in stacks)


def test_a_lab_applied_stage_named_by_a_parameter_deploys(lab, learner, tmp_path):
    """The invoke race of the issue: a part the lab applies itself (an HTTP API's stage)
    kept `{"Ref": "StageName"}` unresolved, and the ARN table crashed on it."""
    folder = sam_folder(tmp_path / "stage", """\
Transform: AWS::Serverless-2016-10-31
Parameters:
  StageName: {Type: String, Default: prod}
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties: {StageName: !Ref StageName}
  Queue:
    Type: AWS::SQS::Queue
""" + FUNCTION + """\
      Events:
        Get:
          Type: HttpApi
          Properties: {ApiId: !Ref Api, Path: /x, Method: get}
""")
    deployment = lab.deploy(learner, str(folder), stack="stage")
    assert [api["stage"] for api in deployment["apis"]] == ["prod"]
    assert lab.invoke(learner, "stage", "Fn", {})["error"] is None
