"""Real SAM templates of many shapes (issue 17): each one `lab import`s, and its first function
runs with AWS's sample event for its first trigger, as bench/import_sample/run.py measures on
the wider sample.

templates/ holds folders of aws-samples/serverless-patterns (MIT-0, LICENSE and SOURCE.md
beside them); own/ holds shapes written for the lab (unquoted dates, a CodeUri that is a file,
no CodeUri, a layer built from the template's own folder, a layer built by a Makefile that
only pip-installs, a fixed bucket name with a parameter that has no default, an S3 trigger
with a filter whose handler reads the object, a DynamoDB stream whose handler reads the
table's key). One lab cloud for the session, one learner per folder.
"""

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from patterns.catalog import IMPORTS_DIR
from patterns.import_events import aws_steps_run, placeholders_fill, stack_physical_ids
from patterns.importer import first_trigger_steps, pattern_unimport
from serverless_lab.cloud.deploy.sam import SERVERLESS_FUNCTION, template_read

HERE = Path(__file__).parent
FOLDERS = sorted(p for base in (HERE / "templates", HERE / "own") for p in base.iterdir()
                 if p.is_dir())
# What the import must say of a folder, beyond importing and running.
SAYS = {
    "apigw-usage-plans": ["not emulated by the lab: UsagePlan (AWS::ApiGateway::UsagePlan)"],
    "fixed-bucket-name": ["parameter NotifyEmail has no default: the lab used "
                          "'learner@example.com'",
                          "On AWS bucket names are global"],
    "lambda-s3": ["parameter DestinationBucketName has no default"],
}
# What the first function must answer (a part of its payload), where it says something.
ANSWERS = {
    "dates-and-short-forms": {"released": "2024-02-29", "greeting": "hello from us-east-1",
                              "records": 1},
    "codeuri-a-file": {"source": "aws.events"},
    "no-codeuri": {"message": "Hello from SNS!"},
    "fixed-bucket-name": {"notify": "learner@example.com", "key": "test/key"},
    # The S3 event names the stack's bucket and a key its filter passes, and the object is
    # there (put before the invoke, a PNG for a .png key), as a real notification implies.
    "s3-object-exists": {"key": "uploads/test/key.png", "png": True,
                         "size_as_the_event_says": True},
    # The DynamoDB Streams record's Keys and NewImage use the table's KeySchema names/types.
    "dynamodb-stream-keys": {"order": "101", "placed": 101, "image_has_the_key": True},
    # A layer whose Makefile only pip-installs: the lab installs the same packages into python/.
    "layer-makefile": {"inflection": "0.5.1"},
}


def first_function(template: dict) -> str:
    return next(k for k, r in template["Resources"].items()
                if r.get("Type") == SERVERLESS_FUNCTION)


@pytest.mark.parametrize("folder", FOLDERS, ids=[p.name for p in FOLDERS])
def test_the_folder_imports_and_its_first_function_runs(folder, lab, lab_cloud):
    slug, learner = f"regression-{folder.name}"[:63], f"regression-{folder.name}"[:64]
    out = io.StringIO()
    try:
        call_command("lab", "import", str(folder), "--slug", slug, "--learner", learner,
                     stdout=out, stderr=io.StringIO())
        for said in SAYS.get(folder.name, []):
            assert said in out.getvalue()
        template = template_read(IMPORTS_DIR / slug)
        function = first_function(template)
        _, event, before = first_trigger_steps(template, function)
        ids = stack_physical_ids(client=lab, learner=learner, stack=slug)
        aws_steps_run(client=lab, learner=learner, steps=before, physical_ids=ids)
        invocation = lab.invoke(learner, slug, function, placeholders_fill(event, ids))
        assert invocation["error"] is None, invocation["error"]
        answer = json.loads(invocation["payload"] or "null")
        expected = ANSWERS.get(folder.name)
        if expected:
            assert {k: answer.get(k) for k in expected} == expected
        if folder.name == "dynamodb-stream-keys":  # its eventSourceARN names the table
            assert answer["table"] == ids["Orders"]
        if folder.name == "layer-makefile":
            assert answer["from"].endswith("/python/inflection/__init__.py")
            assert "not run by the lab" not in out.getvalue()
        if folder.name == "layer-built":  # the layer, built into python/, is at /opt
            assert json.loads(answer["body"]) == {"message": "hello, layer"}
            assert answer["layer_file"].endswith("/python/greetings.py")
            if lab_cloud.runtime.contained:  # read-only, as on AWS
                assert answer["layer_file"] == "/opt/python/greetings.py"
                assert answer["layer_writable"] is False
    finally:
        pattern_unimport(slug)


def test_two_learners_deploy_one_fixed_bucket_name_each_in_their_own_namespace(lab, lab_cloud):
    folder = HERE / "own" / "fixed-bucket-name"
    first = lab.deploy("regression-bucket-a", str(folder), stack="fixed")
    second = lab.deploy("regression-bucket-b", str(folder), stack="fixed")
    assert first["resources"]["Uploads"]["physical_id"] == "lab-regression-fixed-uploads"
    assert second["resources"]["Uploads"]["physical_id"] == "lab-regression-fixed-uploads"
    assert first["account_id"] != second["account_id"]
    assert any("On AWS bucket names are global" in note for note in second["notes"])
