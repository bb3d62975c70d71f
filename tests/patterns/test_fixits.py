"""Fix-it labs' core (issue 16): reading fixits.yaml, checking a learner's files before the
sandbox sees them, deploying them over start/ and running the checks, in the lab cloud.

The fix-it here is tests/patterns/fixits_fixture/ (a tiny pattern of our own), so these tests
do not depend on the catalog's content (tests/patterns/test_fixit_catalog.py covers that)."""

import copy
import shutil
from pathlib import Path

import pytest
import yaml

from patterns.catalog import CatalogError, pattern_read
from patterns.fixits import (
    KINDS,
    FileError,
    editor_limit_bytes,
    fixit_checks_run,
    fixit_try,
    fixit_validate,
    fixits_read,
    pattern_fixits,
)
from serverless_lab.aws_numbers import figure

FIXTURE = Path(__file__).parent / "fixits_fixture"
SLUG = "greeting-name"


@pytest.fixture(scope="module")
def pattern():
    return pattern_read(FIXTURE)


@pytest.fixture(scope="module")
def fixit(pattern):
    return pattern_fixits(pattern)[SLUG]


# -- reading --------------------------------------------------------------------------------

def test_the_fixture_reads_with_its_files(fixit):
    assert fixit.kind in KINDS and fixit.stack == "fix-greeting"
    assert fixit.editable == ("src/app.py", "template.yaml")
    assert [c.id for c in fixit.checks] == ["named", "unnamed"]
    assert "event['name']" in fixit.start_files()["src/app.py"]
    solved = fixit.solution_files()
    assert "event.get('name', 'world')" in solved["src/app.py"]
    assert solved["template.yaml"] == fixit.start_files()["template.yaml"]  # unchanged


def _copy(tmp_path, change) -> Path:
    folder = tmp_path / "pattern"
    shutil.copytree(FIXTURE, folder)
    raw = yaml.safe_load((folder / "fixits.yaml").read_text())
    change(raw[SLUG], folder)
    (folder / "fixits.yaml").write_text(yaml.safe_dump(raw))
    return folder


@pytest.mark.parametrize(("change", "message"), [
    (lambda f, _: f.update(kind="typo"), "kind 'typo' is not one of"),
    (lambda f, _: f.pop("hints"), "needs 'hints'"),
    (lambda f, _: f.update(hints=[""]), "hints is a list of at least one hint"),
    (lambda f, _: f.update(editable=["src/missing.py"]), "editable 'src/missing.py' is not"),
    (lambda f, _: f.update(editable=["../template.yaml"]), "editable '../template.yaml'"),
    (lambda f, _: f.update(editable=["template.yaml"]),
     "solution/src/app.py is not one of the editable files"),
    (lambda f, _: f["checks"][0].update(step="nope"), "names step 'nope'"),
    (lambda f, _: f.update(stack="My Stack"), "stack 'My Stack' is fix-"),
    (lambda f, _: f["steps"][0].pop("invoke"), "needs exactly one of"),
    (lambda f, folder: shutil.rmtree(folder / "fixits" / SLUG / "solution"),
     "solution is missing"),
])
def test_a_bad_fixit_is_refused_naming_file_slug_and_fault(tmp_path, change, message):
    folder = _copy(tmp_path, change)
    with pytest.raises(CatalogError) as refused:
        fixits_read(folder)
    assert str(refused.value).startswith(f"{folder}/fixits.yaml: {SLUG}: ")
    assert message in str(refused.value)


def test_the_reader_rereads_a_changed_file(tmp_path):
    import os

    folder = _copy(tmp_path, lambda f, _: None)
    pattern = copy.copy(pattern_read(folder))
    assert pattern_fixits(pattern)[SLUG].title.startswith("The greeter")
    raw = yaml.safe_load((folder / "fixits.yaml").read_text())
    raw[SLUG]["title"] = "Renamed"
    (folder / "fixits.yaml").write_text(yaml.safe_dump(raw))
    stat = (folder / "fixits.yaml").stat()
    os.utime(folder / "fixits.yaml", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert pattern_fixits(pattern)[SLUG].title == "Renamed"


# -- validating -----------------------------------------------------------------------------

def test_a_syntax_error_comes_back_at_its_line(fixit):
    errors = fixit_validate(fixit=fixit, files={"src/app.py": "def handler(event, context):\n"
                                                              "    return {\n"})
    assert len(errors) == 1 and errors[0].path == "src/app.py"
    assert errors[0].line in (2, 3) and "SyntaxError" in errors[0].message


def test_a_template_that_does_not_parse_comes_back_at_its_line(fixit):
    text = fixit.start_files()["template.yaml"].replace("Handler: app.handler",
                                                        "Handler: [app.handler")
    [error] = fixit_validate(fixit=fixit, files={"template.yaml": text})
    assert error.path == "template.yaml" and error.line is not None
    assert "not YAML or JSON" in error.message


def test_a_template_that_does_not_translate_says_why(fixit):
    text = fixit.start_files()["template.yaml"].replace("      Handler: app.handler\n", "")
    [error] = fixit_validate(fixit=fixit, files={"template.yaml": text})
    assert error == FileError("template.yaml", None, error.message)
    assert "template does not translate" in error.message and "Handler" in error.message


def test_a_file_over_the_console_editors_limit_is_refused_naming_it(fixit):
    assert editor_limit_bytes() == figure("lambda.console_editor_max").value * 1024 * 1024
    text = "# padding\n" * (editor_limit_bytes() // 10 + 1)
    [error] = fixit_validate(fixit=fixit, files={"src/app.py": text})
    assert "too large for the editor" in error.message and "3 MB" in error.message


def test_only_editable_paths_are_taken(fixit):
    [error] = fixit_validate(fixit=fixit, files={"src/other.py": "x = 1\n"})
    assert error.path == "src/other.py" and "not one of the files" in error.message


def test_the_start_and_the_solution_validate(fixit):
    assert fixit_validate(fixit=fixit, files=fixit.start_files()) == []
    assert fixit_validate(fixit=fixit, files=fixit.solution_files()) == []


# -- trying in the lab cloud ------------------------------------------------------------------

def test_the_start_fails_a_check_and_the_solution_passes_them_all(lab, learner, pattern,
                                                                  fixit):
    broken = fixit_try(client=lab, learner=learner, pattern=pattern, fixit=fixit,
                       files=fixit.start_files())
    assert broken.deployed and not broken.errors and not broken.passed
    assert {c.id: c.passed for c in broken.checks} == {"named": True, "unnamed": False}
    assert "hello world" in next(c for c in broken.checks if c.id == "unnamed").message

    fixed = fixit_try(client=lab, learner=learner, pattern=pattern, fixit=fixit,
                      files=fixit.solution_files())
    assert fixed.passed and all(c.passed for c in fixed.checks)
    assert fixed.trace.stack == "fix-greeting"
    assert [s.name for s in fixed.trace.steps] == ["greet someone", "greet nobody"]
    assert len(fixed.trace.invocations) == 2  # the run, hop by hop


def test_code_that_does_not_import_leaves_the_last_good_try_answering(lab, learner, pattern,
                                                                      fixit):
    good = fixit_try(client=lab, learner=learner, pattern=pattern, fixit=fixit,
                     files=fixit.solution_files())
    assert good.passed
    broken = {"src/app.py": "import no_such_module_here\n\n\n"
                            "def handler(event, context):\n    return {}\n"}
    result = fixit_try(client=lab, learner=learner, pattern=pattern, fixit=fixit, files=broken)
    assert not result.deployed and not result.passed
    [error] = result.errors
    assert error.path == "src/app.py"
    assert "Runtime.ImportModuleError" in error.message
    assert "Unable to import module 'app': No module named 'no_such_module_here'" \
        in error.message
    # The stack is the last good try's: the checks still pass against it.
    again = fixit_checks_run(client=lab, learner=learner, pattern=pattern, fixit=fixit)
    assert again.passed


def test_a_handler_that_is_missing_is_refused_at_the_handler_file(lab, learner, pattern,
                                                                   fixit):
    files = {"src/app.py": "def handle(event, context):\n    return {}\n"}
    result = fixit_try(client=lab, learner=learner, pattern=pattern, fixit=fixit, files=files)
    [error] = result.errors
    assert error.path == "src/app.py" and "Runtime.HandlerNotFound" in error.message
    assert lab.deployment(learner, fixit.stack) is None  # never deployed in this sandbox


def test_checks_run_without_a_deploy(lab, learner, pattern, fixit):
    nothing = fixit_checks_run(client=lab, learner=learner, pattern=pattern, fixit=fixit)
    assert not nothing.deployed and "try your fix first" in nothing.errors[0].message
    fixit_try(client=lab, learner=learner, pattern=pattern, fixit=fixit,
              files=fixit.start_files())
    before = lab.deployment(learner, fixit.stack)
    result = fixit_checks_run(client=lab, learner=learner, pattern=pattern, fixit=fixit)
    assert result.deployed and {c.id: c.passed for c in result.checks} == {
        "named": True, "unnamed": False}
    assert lab.deployment(learner, fixit.stack)["fingerprint"] == before["fingerprint"]


def test_invalid_files_never_reach_the_sandbox(lab, learner, pattern, fixit):
    result = fixit_try(client=lab, learner=learner, pattern=pattern, fixit=fixit,
                       files={"src/app.py": "def (:\n"})
    assert not result.deployed and result.errors[0].line == 1
    assert lab.deployment(learner, fixit.stack) is None


def test_a_refusal_naming_a_resource_points_at_its_line(fixit):
    from patterns.fixits import deploy_error

    message = ("stack fix-greeting failed: GreetFunction (AWS::Lambda::Function): "
               "InvalidParameterValueException: something is wrong")
    error = deploy_error(fixit, message, fixit.start_files())
    assert error.path == "template.yaml"
    assert fixit.start_files()["template.yaml"].splitlines()[error.line - 1] == \
        "  GreetFunction:"


def test_an_edited_template_cannot_package_the_labs_own_files(lab, learner, pattern, fixit):
    text = fixit.start_files()["template.yaml"].replace("CodeUri: src/", "CodeUri: ../../../")
    result = fixit_try(client=lab, learner=learner, pattern=pattern, fixit=fixit,
                       files={"template.yaml": text})
    [error] = result.errors
    assert error.path == "template.yaml" and "is outside the folder" in error.message
    assert lab.deployment(learner, fixit.stack) is None


@pytest.mark.django_db
def test_a_class_servers_sharded_client_tries_and_checks_too(lab_cloud, learner, pattern,
                                                             fixit):
    """A class server's client (sandboxes.client, one shard here): same calls, and a fix-it's
    edits are not recorded for a rebuild (the learner's stack is theirs to try again)."""
    from sandboxes.client import ShardedLabClient
    from sandboxes.models import Deployed

    client = ShardedLabClient([lab_cloud.url], token=lab_cloud.control_token)
    result = fixit_try(client=client, learner=learner, pattern=pattern, fixit=fixit,
                       files=fixit.solution_files())
    assert result.passed
    assert fixit_checks_run(client=client, learner=learner, pattern=pattern,
                            fixit=fixit).passed
    assert not Deployed.objects.filter(learner=learner, stack=fixit.stack).exists()
