"""SAM's makefile build for a layer: accepted only when the target just pip-installs packages
into $(ARTIFACTS_DIR)/python; the lab never runs the recipe (deploy/makefile_build.py)."""

from serverless_lab.cloud.deploy.makefile_build import makefile_requirements

PIP_ONLY = """\
.PHONY: build-Deps clean
# what sam build runs
build-Deps:
\tmkdir -p "$(ARTIFACTS_DIR)/python"
\t@pip install requests -t "$(ARTIFACTS_DIR)/python"
\tpython3 -m pip install --quiet 'python-jose[cryptography]>=3.3' -r requirements.txt \\
--target="$(ARTIFACTS_DIR)/python"

clean:
\trm -rf "$(ARTIFACTS_DIR)"
"""


def _folder(tmp_path, makefile: str, requirements: str = "cryptography==44.0.0\n"):
    (tmp_path / "Makefile").write_text(makefile)
    (tmp_path / "requirements.txt").write_text(requirements)
    return tmp_path


def test_a_target_that_only_pip_installs_into_python_gives_its_packages(tmp_path):
    folder = _folder(tmp_path, PIP_ONLY)
    assert makefile_requirements(folder, {}, "Deps") == [
        "requests", "python-jose[cryptography]>=3.3", "cryptography==44.0.0"]


def test_the_metadata_build_target_is_the_one_read(tmp_path):
    folder = _folder(tmp_path, PIP_ONLY.replace("build-Deps", "deps-layer").replace(
        " \\\n--target", " --target"))
    assert makefile_requirements(folder, {"BuildTarget": "deps-layer"}, "Deps")
    assert makefile_requirements(folder, {}, "Deps") is None  # no build-Deps target


def test_a_recipe_that_does_anything_else_is_not_built(tmp_path):
    for line in ('\tcurl -o "$(ARTIFACTS_DIR)/python/x.py" https://example.com/x.py\n',
                 '\tpip install requests -t "$(ARTIFACTS_DIR)/elsewhere"\n',
                 '\tpip install requests\n',
                 '\tpip install -e . -t "$(ARTIFACTS_DIR)/python"\n',
                 '\tpip install requests -t "$(ARTIFACTS_DIR)/python"; rm -rf ~\n',
                 '\tpip install -r ../outside.txt -t "$(ARTIFACTS_DIR)/python"\n',
                 '\tcp -r src "$(ARTIFACTS_DIR)/python"\n',
                 '\tpip install a -t "$(ARTIFACTS_DIR)/python" && make other\n',
                 '\tpip install $(shell cat x) -t "$(ARTIFACTS_DIR)/python"\n',
                 '\tpip install a -t "$(ARTIFACTS_DIR)/python" > log.txt\n'):
        folder = _folder(tmp_path, f"build-Deps:\n{line}")
        assert makefile_requirements(folder, {}, "Deps") is None, line


def test_no_makefile_or_an_empty_target_is_not_built(tmp_path):
    assert makefile_requirements(tmp_path, {}, "Deps") is None
    assert makefile_requirements(_folder(tmp_path, "build-Deps:\n\nclean:\n\trm -rf x\n"),
                                 {}, "Deps") is None
