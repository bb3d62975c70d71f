"""SAM's `BuildMethod: makefile` for a layer, in the one shape the lab accepts: a target whose
recipe only makes $(ARTIFACTS_DIR) folders and pip-installs packages into
$(ARTIFACTS_DIR)/python (`sam build` runs `make build-<LogicalId>` with ARTIFACTS_DIR set).

The lab never runs make or the recipe's shell: it reads the target and, if every line is one
of those two, installs the same packages with its own wheel-only pip in a clean environment
(awslambda/build.py, as for a requirements.txt) into the layer's python/. A recipe that does
anything else is not built, and the import says so.
"""

import re
import shlex
from pathlib import Path

ARTIFACTS = "$(ARTIFACTS_DIR)"
SHELL = re.compile(r"[;&|`$]|\s>|^>")
MKDIR = re.compile(r"^mkdir\s+(-p\s+)?(?P<path>\S+)$")
PIP = re.compile(r"^(?:pip3?|python3?(?:\.\d+)?\s+-m\s+pip)\s+install\s+(?P<args>.+)$")
QUIET_OPTIONS = {"-q", "--quiet", "-U", "--upgrade", "--no-cache-dir",
                 "--disable-pip-version-check"}
PACKAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9,._-]+\])?([<>=!~]=?[^\s;]+)*$")


def makefile_target(metadata: dict, logical_id: str) -> str:
    return str(metadata.get("BuildTarget") or f"build-{logical_id}")


def recipe_lines(makefile: Path, target: str) -> list[str] | None:
    """The recipe of target in makefile (its tab-indented lines, `@` dropped), or None."""
    if not makefile.is_file():
        return None
    lines, inside = [], False
    text = makefile.read_text(errors="replace").replace("\\\n", " ")  # continued lines
    for raw in text.splitlines():
        if inside and raw.startswith("\t"):
            if raw.strip():
                lines.append(raw.strip().lstrip("@").strip())
            continue
        if inside and raw.strip() and not raw.lstrip().startswith("#"):
            break
        head = raw.split(":", 1)[0].strip() if ":" in raw and not raw.startswith("\t") else ""
        if target in head.split():
            inside = True
    return lines if inside else None


def makefile_requirements(folder: Path, metadata: dict, logical_id: str) -> list[str] | None:
    """The packages a layer's makefile target pip-installs into $(ARTIFACTS_DIR)/python, or
    None when the target is missing or its recipe does anything else."""
    lines = recipe_lines(folder / "Makefile", makefile_target(metadata, logical_id))
    if not lines:
        return None
    packages: list[str] = []
    for line in lines:
        if SHELL.search(line.replace(ARTIFACTS, "")):
            return None  # more than one plain command: not what the lab reproduces
        line = line.replace('"', "").replace("'", "")
        mkdir = MKDIR.match(line)
        if mkdir and mkdir["path"].rstrip("/") in (ARTIFACTS, f"{ARTIFACTS}/python"):
            continue
        pip = PIP.match(line)
        installed = _pip_packages(pip["args"], folder) if pip else None
        if installed is None:
            return None
        packages += [p for p in installed if p not in packages]
    return packages or None


def _pip_packages(args: str, folder: Path) -> list[str] | None:
    """The packages of `pip install args` if it targets $(ARTIFACTS_DIR)/python and names
    only packages (or a requirements file in the folder), else None."""
    try:
        words = shlex.split(args)
    except ValueError:
        return None
    packages, target, index = [], None, 0
    while index < len(words):
        word = words[index]
        if word in ("-t", "--target") and index + 1 < len(words):
            target, index = words[index + 1], index + 2
            continue
        if word.startswith("--target="):
            target = word.split("=", 1)[1]
        elif word in ("-r", "--requirement") and index + 1 < len(words):
            found = _requirements_file(folder, words[index + 1])
            if found is None:
                return None
            packages += found
            index += 1
        elif word not in QUIET_OPTIONS:
            if not PACKAGE.match(word):
                return None
            packages.append(word)
        index += 1
    return packages if target and target.rstrip("/") == f"{ARTIFACTS}/python" else None


def _requirements_file(folder: Path, name: str) -> list[str] | None:
    path = (folder / name).resolve()
    if not path.is_file() or not path.is_relative_to(folder.resolve()):
        return None
    lines = [line.split("#", 1)[0].strip() for line in path.read_text().splitlines()]
    lines = [line for line in lines if line]
    return lines if all(PACKAGE.match(line) for line in lines) else None


__all__ = ["makefile_requirements", "makefile_target", "recipe_lines"]
