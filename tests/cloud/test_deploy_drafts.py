"""Deploying a folder with a learner's edits laid over it (issue 16, deploy/drafts.py), through
the control API: the copy in the lab's data directory, the paths it refuses, Lambda's size
limit checked before anything changes, and a failed replacement that puts the previous
version back."""

import os

import pytest

from serverless_lab.aws_numbers import figure
from serverless_lab.cloud.awslambda.build import PACKAGE_UNZIPPED_MAX_BYTES
from serverless_lab.cloud.client import LabCloudError

TEMPLATE = """AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
{functions}"""
FUNCTION = """  {name}:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
"""
HANDLER = 'def handler(event, context):\n    return {{"version": "{version}"}}\n'
AWS_TOO_LARGE = "Unzipped size must be smaller than 262144000 bytes"


def _folder(tmp_path, name="app", functions=("GreetFunction",), version="start"):
    folder = tmp_path / name
    (folder / "src").mkdir(parents=True)
    (folder / "template.yaml").write_text(TEMPLATE.format(
        functions="".join(FUNCTION.format(name=f) for f in functions)))
    (folder / "src" / "app.py").write_text(HANDLER.format(version=version))
    return folder


def _answer(lab, learner, stack="drafted", function="GreetFunction"):
    return lab.invoke(learner, stack, function, {})["payload"]


def _drafts(lab_cloud, lab, learner):
    account = lab.sandbox(learner)["account_id"]
    folder = lab_cloud.data_dir / "drafts" / account / "drafted"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_files_are_laid_over_a_copy_and_deployed(lab_cloud, lab, learner, tmp_path):
    folder = _folder(tmp_path)
    edited = {"src/app.py": HANDLER.format(version="edited"), "src/extra/notes.txt": "hi\n"}
    deployment = lab.deploy(learner, str(folder), stack="drafted", files=edited)
    assert '"edited"' in _answer(lab, learner)
    assert (folder / "src" / "app.py").read_text() == HANDLER.format(version="start")
    assert not (folder / "src" / "extra").exists()  # the source folder is untouched
    assert len(_drafts(lab_cloud, lab, learner)) == 1
    again = lab.deploy(learner, str(folder), stack="drafted",
                       files={"src/app.py": HANDLER.format(version="again")})
    assert again["fingerprint"] != deployment["fingerprint"]
    assert '"again"' in _answer(lab, learner)
    assert len(_drafts(lab_cloud, lab, learner)) == 1  # the old copy is removed


@pytest.mark.parametrize("path", ["../escape.py", "/etc/passwd", "src/../../x.py", "a\\b.py",
                                  "", "src//app.py"])
def test_a_path_outside_the_folder_is_refused_before_anything_is_written(
        lab_cloud, lab, learner, tmp_path, path):
    folder = _folder(tmp_path)
    with pytest.raises(LabCloudError) as refused:
        lab.deploy(learner, str(folder), stack="drafted", files={path: "x = 1\n"})
    assert "is not a file inside the folder" in str(refused.value)
    assert _drafts(lab_cloud, lab, learner) == []
    assert lab.deployment(learner, "drafted") is None
    assert not (tmp_path / "escape.py").exists()


def test_files_must_be_text(lab, learner, tmp_path):
    with pytest.raises(LabCloudError, match="is not text"):
        lab.deploy(learner, str(_folder(tmp_path)), stack="drafted", files={"src/a.py": 3})


def test_a_symlink_out_of_the_folder_is_not_followed(lab, learner, tmp_path):
    folder = _folder(tmp_path)
    (tmp_path / "secret.txt").write_text("secret")
    os.symlink(tmp_path / "secret.txt", folder / "src" / "secret.txt")
    with pytest.raises(LabCloudError, match="symlink out of the folder"):
        lab.deploy(learner, str(folder), stack="drafted", files={})


def test_a_package_over_lambdas_unzipped_limit_is_refused_with_awss_words(
        lab, learner, tmp_path):
    assert PACKAGE_UNZIPPED_MAX_BYTES == figure("lambda.package_unzipped").value * 1024 * 1024
    folder = _folder(tmp_path)
    first = lab.deploy(learner, str(folder), stack="drafted", files={})
    big = folder / "src" / "model.bin"
    big.touch()
    os.truncate(big, 260 * 1024 * 1024)  # sparse: no disk used, 260 MB by its size
    with pytest.raises(LabCloudError) as refused:
        lab.deploy(learner, str(folder), stack="drafted", files={})
    assert AWS_TOO_LARGE in str(refused.value) and "GreetFunction" in str(refused.value)
    # Nothing changed: the stack is the first deploy's.
    assert lab.deployment(learner, "drafted")["fingerprint"] == first["fingerprint"]
    assert '"start"' in _answer(lab, learner)


def test_a_template_that_does_not_translate_is_refused_and_the_stack_kept(
        lab, learner, tmp_path):
    folder = _folder(tmp_path)
    first = lab.deploy(learner, str(folder), stack="drafted", files={})
    broken = (folder / "template.yaml").read_text().replace("      Handler: app.handler\n", "")
    with pytest.raises(LabCloudError, match="template does not translate"):
        lab.deploy(learner, str(folder), stack="drafted", files={"template.yaml": broken})
    assert lab.deployment(learner, "drafted")["fingerprint"] == first["fingerprint"]


def test_a_handler_that_does_not_import_is_refused_with_lambdas_error(lab, learner, tmp_path):
    folder = _folder(tmp_path)
    with pytest.raises(LabCloudError) as refused:
        lab.deploy(learner, str(folder), stack="drafted",
                   files={"src/app.py": "import not_installed_anywhere\n"})
    assert ("GreetFunction: Runtime.ImportModuleError: Unable to import module 'app': "
            "No module named 'not_installed_anywhere'") in str(refused.value)
    assert lab.deployment(learner, "drafted") is None


def test_a_failed_replacement_deploys_the_previous_version_again(lab, learner, tmp_path):
    lab.settings(learner, quotas={"functions": 1})
    try:
        folder = _folder(tmp_path)
        lab.deploy(learner, str(folder), stack="drafted",
                   files={"src/app.py": HANDLER.format(version="good")})
        two = _folder(tmp_path, "two", functions=("GreetFunction", "OtherFunction"))
        # It translates and imports; creating it fails (the sandbox's quota of 1 function)
        # after the old stack was removed.
        with pytest.raises(LabCloudError) as refused:
            lab.deploy(learner, str(two), stack="drafted", files={})
        assert "functions per sandbox" in str(refused.value)
        assert "previous version is deployed again" in str(refused.value)
        assert '"good"' in _answer(lab, learner)
    finally:
        lab.settings(learner, quotas={"functions": 200})


@pytest.mark.parametrize("code_uri", ["../", "/etc", "src/../../outside"])
def test_an_edited_template_may_not_package_files_outside_its_folder(lab_cloud, lab, learner,
                                                                     tmp_path, code_uri):
    folder = _folder(tmp_path)
    (tmp_path / "outside").mkdir()
    text = (folder / "template.yaml").read_text().replace("CodeUri: src/",
                                                          f"CodeUri: {code_uri}")
    with pytest.raises(LabCloudError) as refused:
        lab.deploy(learner, str(folder), stack="drafted", files={"template.yaml": text})
    assert f"CodeUri {code_uri!r} is outside the folder" in str(refused.value)
    assert lab.deployment(learner, "drafted") is None
    assert _drafts(lab_cloud, lab, learner) == []


def test_a_stack_name_that_is_a_path_is_refused_before_any_copy(lab_cloud, lab, learner,
                                                                tmp_path):
    with pytest.raises(LabCloudError, match="invalid stack name"):
        lab.deploy(learner, str(_folder(tmp_path)), stack="../../escape", files={})
    assert not list(lab_cloud.data_dir.rglob("escape"))


def test_a_syntax_error_in_an_imported_module_is_lambdas_syntax_error(lab, learner, tmp_path):
    folder = _folder(tmp_path)
    files = {"src/app.py": "import helper\n\n\ndef handler(event, context):\n    return {}\n",
             "src/helper.py": "x = 1\ndef broken(:\n"}
    with pytest.raises(LabCloudError) as refused:
        lab.deploy(learner, str(folder), stack="drafted", files=files)
    assert "GreetFunction: Runtime.UserCodeSyntaxError: Syntax error in module 'app'" \
        in str(refused.value)
    assert "(helper.py, line 2)" in str(refused.value)
    assert lab.deployment(learner, "drafted") is None


def test_a_module_that_raises_on_its_own_deploys_and_fails_when_invoked(lab, learner,
                                                                       tmp_path):
    """Only code that cannot be imported is refused; what the module's code raises (it may
    need a resource of the stack) shows at the first invocation, as on AWS."""
    folder = _folder(tmp_path)
    files = {"src/app.py": "raise RuntimeError('needs its table')\n"}
    lab.deploy(learner, str(folder), stack="drafted", files=files)
    invocation = lab.invoke(learner, "drafted", "GreetFunction", {})
    assert "needs its table" in invocation["error"]["errorMessage"]


def test_a_functions_layers_count_towards_the_unzipped_limit(tmp_path):
    from serverless_lab.cloud.awslambda.build import package_size_refused
    from serverless_lab.cloud.deploy.sam import template_read

    folder = _folder(tmp_path)
    (folder / "layer").mkdir()
    os.truncate(folder / "src" / "app.py", 130 * 1024 * 1024)
    (folder / "layer" / "big.so").touch()
    os.truncate(folder / "layer" / "big.so", 130 * 1024 * 1024)
    text = (folder / "template.yaml").read_text()
    (folder / "template.yaml").write_text(text + (
        "      Layers: [!Ref Shared]\n"
        "  Shared:\n    Type: AWS::Serverless::LayerVersion\n"
        "    Properties: {ContentUri: layer/}\n"))
    assert AWS_TOO_LARGE in package_size_refused(template_read(folder), folder)
    os.truncate(folder / "layer" / "big.so", 100 * 1024 * 1024)  # 230 MB: within it
    assert package_size_refused(template_read(folder), folder) is None
