"""Fix-it labs: a broken variant of a pattern that the learner repairs (issue 16).

A fix-it is data beside its pattern, in `patterns/catalog/<slug>/fixits.yaml`, a mapping of
slug -> fix-it (title, kind, stack, editable, story, steps, checks, hints, explanation), with
its folders `fixits/<slug>/start/` (a complete SAM folder: the broken variant, deployed as
is) and `fixits/<slug>/solution/` (only the files that change, at the same paths). The
learner edits the `editable` files; `fixit_try` checks them here (`fixit_validate`), deploys
start/ overlaid with them as the fix-it's own stack in the learner's sandbox (the lab cloud
refuses code that does not import, a template that does not translate, a package over
Lambda's size limits, and leaves the stack as it was), then runs the steps and the checks.
The contract others code against is /work/briefs/s6/fixit_api.md.

No Django here: the web app, classrooms and `lab list` read the same data.
"""

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from serverless_lab.aws_numbers import figure
from serverless_lab.cloud.client import LabClient, LabCloudError, LabCloudUnreachable

from .catalog import CatalogError, Pattern, Scenario, Step, _cited, _read_yaml, _step
from .run_trace import RunTrace, StepResult
from .runs import Sandbox, _resolve, expectations_check, run_steps

KINDS = ("missing-permission", "filter-matches-nothing", "non-idempotent", "missing-dlq",
         "visibility-timeout", "missing-field")
STACK_NAME = re.compile(r"^fix-[a-z0-9-]{1,60}$")
MAX_EDITABLE = 4
TEMPLATE_NAMES = ("template.yaml", "template.yml")
EDITOR_LIMIT = "lambda.console_editor_max"
NOT_EDITABLE = "{path} is not one of the files this lab lets you edit ({editable})"
TOO_LARGE = ("{path} is {size:,} bytes: too large for the editor (the Lambda console's "
             "code editor opens packages up to {limit})")
NOT_TEXT = "{path} is not text"
TEMPLATE_SECTIONS = {"Resources", "Globals", "Outputs", "Parameters", "Conditions", "Metadata",
                     "Mappings", "Properties", "Events", "Function", "Environment", "Variables",
                     "Policies", "Statement", "Api", "Layers"}
# Where in the lab cloud's messages a file and line are named.
LINE_IN = re.compile(r"line (\d+)")
HANDLER_FILE = re.compile(r"\b(?:module|file) '?([\w./-]+?)'?(?:[:;,\s]|$)")


@dataclass(frozen=True)
class FixCheck:
    id: str
    title: str
    step: str
    expect: dict


@dataclass(frozen=True)
class FixIt:
    slug: str
    title: str
    kind: str
    stack: str
    story: str
    editable: tuple[str, ...]
    steps: tuple[Step, ...]
    checks: tuple[FixCheck, ...]
    hints: tuple[str, ...]
    explanation: str
    folder: Path  # .../fixits/<slug> (start/ and solution/ under it)

    @property
    def start(self) -> Path:
        return self.folder / "start"

    @property
    def solution(self) -> Path:
        return self.folder / "solution"

    def start_files(self) -> dict[str, str]:
        """Each editable path -> its text in start/."""
        return {path: (self.start / path).read_text() for path in self.editable}

    def solution_files(self) -> dict[str, str]:
        """Each editable path -> its text with the solution applied (start/ where the
        solution leaves a file as it is)."""
        return {path: ((self.solution / path) if (self.solution / path).is_file()
                       else (self.start / path)).read_text() for path in self.editable}


@dataclass
class FileError:
    path: str
    line: int | None
    message: str


@dataclass
class CheckOutcome:
    id: str
    title: str
    passed: bool
    message: str


@dataclass
class FixItResult:
    deployed: bool
    errors: list[FileError] = field(default_factory=list)
    checks: list[CheckOutcome] = field(default_factory=list)
    trace: RunTrace | None = None

    @property
    def passed(self) -> bool:
        return (self.deployed and not self.errors and bool(self.checks)
                and all(c.passed for c in self.checks))


# -- reading ---------------------------------------------------------------------------------

def _fail(pattern_folder: Path, slug: str, message: str):
    raise CatalogError(f"{pattern_folder}/fixits.yaml: {slug}: {message}")


def fixit_read(pattern_folder: Path, slug: str, raw) -> FixIt:
    """One fix-it from its YAML mapping; CatalogError names the file, the slug and what is
    wrong with it."""
    if not isinstance(raw, dict):
        _fail(pattern_folder, slug, "is not a mapping")
    for key in ("title", "kind", "stack", "editable", "story", "steps", "checks", "hints",
                "explanation"):
        if not raw.get(key):
            _fail(pattern_folder, slug, f"needs {key!r}")
    if raw["kind"] not in KINDS:
        _fail(pattern_folder, slug, f"kind {raw['kind']!r} is not one of {', '.join(KINDS)}")
    stack = str(raw["stack"])
    if not STACK_NAME.match(stack):
        _fail(pattern_folder, slug, f"stack {stack!r} is fix- then lowercase letters, digits "
                                    "and hyphens")
    folder = pattern_folder / "fixits" / slug
    start, solution = folder / "start", folder / "solution"
    if not any((start / name).is_file() for name in TEMPLATE_NAMES):
        _fail(pattern_folder, slug, f"{start} has no template.yaml")
    editable = raw["editable"]
    if not isinstance(editable, list) or not 1 <= len(editable) <= MAX_EDITABLE \
            or not all(isinstance(p, str) for p in editable):
        _fail(pattern_folder, slug, f"editable is a list of 1 to {MAX_EDITABLE} paths")
    for path in editable:
        if not _plain_path(path) or not (start / path).is_file():
            _fail(pattern_folder, slug, f"editable {path!r} is not a file of {start}")
    if not solution.is_dir():
        _fail(pattern_folder, slug, f"{solution} is missing (the files that change)")
    changed = sorted(str(p.relative_to(solution)) for p in solution.rglob("*") if p.is_file()
                     and "__pycache__" not in p.parts)
    if not changed:
        _fail(pattern_folder, slug, f"{solution} holds no file")
    for path in changed:
        if path not in editable:
            _fail(pattern_folder, slug, f"solution/{path} is not one of the editable files")
    if not isinstance(raw["steps"], list):
        _fail(pattern_folder, slug, "steps is a list")
    try:
        steps = tuple(_step(pattern_folder, slug, s) for s in raw["steps"])
    except (CatalogError, KeyError, TypeError) as e:  # _step names scenarios.yaml
        _fail(pattern_folder, slug, str(e).split(f"{slug}: ", 1)[-1])
    names = {s.name for s in steps}
    if not isinstance(raw["checks"], list):
        _fail(pattern_folder, slug, "checks is a list")
    checks = []
    for check in raw["checks"]:
        if not isinstance(check, dict) or not check.get("id") or not check.get("expect") \
                or not isinstance(check["expect"], dict):
            _fail(pattern_folder, slug, "each check needs an id and what to expect (expect)")
        if check.get("step") not in names:
            _fail(pattern_folder, slug, f"check {check['id']!r} names step "
                                        f"{check.get('step')!r}, which is not one of its steps")
        checks.append(FixCheck(id=str(check["id"]), title=_cited(str(check.get("title",
                                                                               check["id"]))),
                               step=str(check["step"]), expect=dict(check["expect"])))
    if len({c.id for c in checks}) != len(checks):
        _fail(pattern_folder, slug, "two checks have the same id")
    hints = raw["hints"]
    if not isinstance(hints, list) or not all(isinstance(h, str) and h.strip() for h in hints):
        _fail(pattern_folder, slug, "hints is a list of at least one hint")
    return FixIt(slug=slug, title=_cited(str(raw["title"])), kind=raw["kind"], stack=stack,
                 story=_cited(str(raw["story"])), editable=tuple(editable), steps=steps,
                 checks=tuple(checks), hints=tuple(_cited(hints)),
                 explanation=_cited(str(raw["explanation"])), folder=folder)


def _plain_path(path: str) -> bool:
    """A relative path inside a folder: no absolute path, no '..', no backslash or NUL."""
    return bool(path) and not path.startswith("/") and "\\" not in path and "\0" not in path \
        and all(part not in ("", ".", "..") for part in path.split("/"))


def fixits_read(pattern_folder: Path) -> dict[str, FixIt]:
    """The pattern's fix-its (none when it has no fixits.yaml)."""
    path = pattern_folder / "fixits.yaml"
    if not path.exists():
        return {}
    raw = _read_yaml(path)
    if not isinstance(raw, dict):
        raise CatalogError(f"{path}: is not a mapping of fix-its")
    found = {str(slug): fixit_read(pattern_folder, str(slug), item) for slug, item in raw.items()}
    stacks = [f.stack for f in found.values()]
    for stack in {s for s in stacks if stacks.count(s) > 1}:
        raise CatalogError(f"{path}: two fix-its use stack {stack!r}")
    return found


_read: dict[tuple, dict] = {}


def pattern_fixits(pattern: Pattern) -> dict[str, FixIt]:
    """The pattern's fix-its, read once per fixits.yaml version."""
    path = pattern.folder / "fixits.yaml"
    key = (str(path), path.stat().st_mtime_ns if path.exists() else 0)
    if key not in _read:
        _read[key] = fixits_read(pattern.folder)
    return _read[key]


# -- checking a learner's files before the sandbox sees them ---------------------------------

def editor_limit_bytes() -> int:
    found = figure(EDITOR_LIMIT)
    return int(found.value * 1024 * 1024) if found.unit == "MB" else int(found.value)


def fixit_validate(*, fixit: FixIt, files: dict[str, str]) -> list[FileError]:
    """What is wrong with the learner's files, each at its file (and line when known): only
    editable paths, each within the Lambda console editor's limit, Python that compiles, a
    template that parses and translates. Nothing here touches the sandbox."""
    errors = []
    limit = figure(EDITOR_LIMIT)
    for path, text in files.items():
        if path not in fixit.editable:
            errors.append(FileError(path, None, NOT_EDITABLE.format(
                path=path, editable=", ".join(fixit.editable))))
            continue
        if not isinstance(text, str) or "\0" in text:
            errors.append(FileError(path, None, NOT_TEXT.format(path=path)))
            continue
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > editor_limit_bytes():
            errors.append(FileError(path, None, TOO_LARGE.format(path=path, size=size,
                                                                 limit=limit.display)))
            continue
        if path.endswith(".py"):
            try:
                compile(text, path, "exec", dont_inherit=True)
            except SyntaxError as e:
                errors.append(FileError(path, e.lineno, f"{type(e).__name__}: {e.msg}"))
        elif path.rsplit("/", 1)[-1] in TEMPLATE_NAMES:
            error = _template_error(fixit, path, text)
            if error:
                errors.append(error)
    return errors


def _template_error(fixit: FixIt, path: str, text: str) -> FileError | None:
    """The template as SAM would see it: parsed (a YAML error at its line) and translated."""
    import tempfile

    from serverless_lab.cloud.deploy.sam import TemplateError, template_read, translate

    with tempfile.TemporaryDirectory(prefix="fixit-template-") as scratch:
        (Path(scratch) / "template.yaml").write_text(text)
        try:
            template = template_read(Path(scratch))
        except TemplateError as e:
            return _file_error(path, str(e).replace(f"{scratch}/template.yaml", path))
    try:
        translate(_code_local(template), region="us-east-1")
    except TemplateError as e:
        return FileError(path, None, str(e))
    return None


def _code_local(template: dict) -> dict:
    """A copy whose functions' local CodeUris name a placeholder S3 object, as `sam package`
    leaves them: the translation checks the template, not the code (the deploy does that)."""
    import copy

    copied = copy.deepcopy(template)
    for resource in (copied.get("Resources") or {}).values():
        if isinstance(resource, dict) and resource.get("Type") == "AWS::Serverless::Function":
            properties = resource.setdefault("Properties", {}) or {}
            resource["Properties"] = properties
            if isinstance(properties, dict) and "InlineCode" not in properties \
                    and "ImageUri" not in properties:
                properties["CodeUri"] = "s3://lab-placeholder/code.zip"
        if isinstance(resource, dict) and resource.get("Type") == \
                "AWS::Serverless::LayerVersion" and isinstance(resource.get("Properties"), dict):
            resource["Properties"]["ContentUri"] = "s3://lab-placeholder/layer.zip"
        if isinstance(resource, dict) and resource.get("Type") == \
                "AWS::Serverless::StateMachine" and isinstance(resource.get("Properties"), dict) \
                and isinstance(resource["Properties"].get("DefinitionUri"), str):
            resource["Properties"]["DefinitionUri"] = "s3://lab-placeholder/definition.asl.json"
    globals_function = (copied.get("Globals") or {}).get("Function")
    if isinstance(globals_function, dict) and "CodeUri" in globals_function:
        globals_function["CodeUri"] = "s3://lab-placeholder/code.zip"
    return copied


def _file_error(path: str, message: str) -> FileError:
    found = LINE_IN.search(message)
    return FileError(path, int(found[1]) if found else None, message)


# -- trying them in the sandbox --------------------------------------------------------------

def fixit_try(*, client: LabClient, learner: str, pattern: Pattern, fixit: FixIt,
              files: dict[str, str]) -> FixItResult:
    """Validate the learner's files; deploy start/ overlaid with them as the fix-it's stack
    in the learner's sandbox; run the steps and the checks. A refused deploy comes back as
    FileErrors at the file it is about (the lab cloud left the stack as it was)."""
    errors = fixit_validate(fixit=fixit, files=files)
    if errors:
        return FixItResult(deployed=False, errors=errors)
    try:
        deployment = client.deploy(learner, str(fixit.start.resolve()), stack=fixit.stack,
                                   files=dict(files))
    except LabCloudUnreachable:
        raise  # not about the learner's files: the caller says the lab is down
    except LabCloudError as e:
        return FixItResult(deployed=False, errors=[deploy_error(fixit, str(e), files)])
    return _checks(client=client, learner=learner, pattern=pattern, fixit=fixit,
                   deployment=deployment)


def fixit_checks_run(*, client: LabClient, learner: str, pattern: Pattern,
                     fixit: FixIt) -> FixItResult:
    """The checks against what is deployed now as the fix-it's stack (no deploy): a
    classroom hand-in runs this. Nothing deployed: not deployed, no checks."""
    deployment = client.deployment(learner, fixit.stack)
    if deployment is None:
        return FixItResult(deployed=False, errors=[FileError(
            fixit.editable[0], None, f"nothing is deployed as {fixit.stack} in your sandbox: "
                                     "try your fix first")])
    return _checks(client=client, learner=learner, pattern=pattern, fixit=fixit,
                   deployment=deployment)


def _checks(*, client, learner, pattern, fixit, deployment) -> FixItResult:
    scenario = Scenario(slug=f"fixit:{fixit.slug}", title=fixit.title, description=fixit.story,
                        steps=fixit.steps)
    trace = run_steps(client=client, learner=learner, deployment=deployment,
                      scenario=scenario, pattern=pattern.slug)
    sandbox = Sandbox(client.sandbox(learner), deployment)
    results = {s.name: s for s in trace.steps}
    responses = {s.name: s.response or {} for s in trace.steps}
    outcomes = [_check(check, fixit, results, responses, sandbox) for check in fixit.checks]
    return FixItResult(deployed=True, checks=outcomes, trace=trace)


def _check(check: FixCheck, fixit: FixIt, results: dict[str, StepResult], responses: dict,
           sandbox: Sandbox) -> CheckOutcome:
    result = results.get(check.step)
    if result is None:
        return CheckOutcome(check.id, check.title, False, f"step {check.step!r} did not run")
    step = next(s for s in fixit.steps if s.name == check.step)
    try:
        expect = _resolve(check.expect, responses, sandbox.deployment, step.name)
        found = expectations_check(step=replace(step, expect=expect), result=result,
                                   sandbox=sandbox)
    except KeyError as e:
        return CheckOutcome(check.id, check.title, False, str(e.args[0]))
    except Exception as e:  # noqa: BLE001 - e.g. a table the learner's template removed
        return CheckOutcome(check.id, check.title, False,
                            f"could not be checked: {type(e).__name__}: {e}")
    failed = [x for x in found if not x.passed]
    message = "; ".join(f"{x.check}: expected {x.expected!r}, got {x.actual!r}"
                        for x in failed)
    return CheckOutcome(check.id, check.title, not failed, message or "passed")


def deploy_error(fixit: FixIt, message: str, files: dict[str, str]) -> FileError:
    """The lab cloud's refusal, at the file it is about: a handler file it names (an import
    error, a syntax error), else the template, at the line of the resource it names when
    the template has one."""
    template = next((p for p in fixit.editable if p.rsplit("/", 1)[-1] in TEMPLATE_NAMES),
                    None)
    for path in fixit.editable:
        if not path.endswith(".py"):
            continue
        module = path.rsplit("/", 1)[-1][:-3]
        if f"'{module}'" in message or path in message or f"/{module}.py" in message:
            found = re.search(rf"{re.escape(module)}\.py\W+line (\d+)", message)
            return FileError(path, int(found[1]) if found else None, message)
    if template is None:
        return FileError(fixit.editable[0], None, message)
    found = LINE_IN.search(message) if "line" in message else None
    text = files.get(template) or (fixit.start / template).read_text()
    line = int(found[1]) if found else resource_line(text, message)
    return FileError(template, line, message)


def resource_line(text: str, message: str) -> int | None:
    """The line of the template where a resource the message names is defined: its logical
    id, or one SAM made of a function's id and its event's name (FunctionQueue)."""
    lines = text.splitlines()
    keys = {}  # name -> first line where it is a mapping key
    for number, line in enumerate(lines, 1):
        key = re.match(r"^\s*([A-Za-z0-9]+):\s*(#.*)?$", line)
        if key and key[1] not in TEMPLATE_SECTIONS:
            keys.setdefault(key[1], number)
    for word in re.findall(r"[A-Za-z][A-Za-z0-9]+", message):
        if word in keys:
            return keys[word]
        for resource, start in keys.items():  # e.g. ProcessOrderFunction + OrdersQueue
            rest = word[len(resource):]
            if word.startswith(resource) and rest:
                event = next((n for n, line in enumerate(lines[start:], start + 1)
                              if re.match(rf"^\s*{rest}:\s*$", line)), None)
                if event:
                    return event
    return None
