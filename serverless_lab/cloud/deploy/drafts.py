"""A learner's edited copy of a SAM folder, kept in the lab's data directory (issue 16).

A fix-it lab deploys its start/ folder with the learner's edits laid over it. The control API
copies the folder into `<data_dir>/drafts/<account>/<stack>/<n>/` (a fresh folder each
time), writes the edited files there, and deploys that copy. The folder of the last deploy
that succeeded is kept (a failed deploy that removed the stack redeploys it); every other
folder of that account and stack is removed.

Edited paths must be plain relative paths inside the folder (no absolute path, no '..', no
backslash), their content text; the copy follows no symlink out of the source folder.
"""

import io
import itertools
import os
import re
import shutil
import threading
import zipfile
from pathlib import Path

from .sam import SKIPPED_FILES
from .stack import FINGERPRINT_TAG, STACK_NAME, _describe, _stack, _tag

DRAFTS = "drafts"
MAX_FILES = 20
BAD_FILES = "files is an object of relative path -> text"
BAD_PATH = ("{path!r} is not a file inside the folder: a relative path, without '..', "
            "without a leading '/'")
NOT_TEXT = "{path!r} is not text"
TOO_MANY = f"at most {MAX_FILES} files may be given"
LINK_OUT = "{path} is a symlink out of the folder: the lab does not follow it"

_counter = itertools.count(1)
_lock = threading.Lock()


class DraftError(ValueError):
    pass


def path_checked(path) -> str:
    """A relative path inside a folder, as written; DraftError for anything else."""
    if not isinstance(path, str) or not path or path.startswith("/") or "\\" in path \
            or "\0" in path or any(part in ("", ".", "..") for part in path.split("/")):
        raise DraftError(BAD_PATH.format(path=path))
    return path


def files_checked(files) -> dict[str, str]:
    if not isinstance(files, dict):
        raise DraftError(BAD_FILES)
    if len(files) > MAX_FILES:
        raise DraftError(TOO_MANY)
    for path, text in files.items():
        path_checked(path)
        if not isinstance(text, str) or "\0" in text:
            raise DraftError(NOT_TEXT.format(path=path))
    return files


def draft_make(*, data_dir: Path, account_id: str, stack: str, source: Path,
               files: dict[str, str]) -> Path:
    """A fresh copy of `source` with `files` laid over it, under the lab's data directory.
    Nothing is written when `files` is refused (DraftError)."""
    files_checked(files)
    source = source.resolve()
    parent = Path(data_dir) / DRAFTS / account_id / stack
    with _lock:
        folder = parent / f"{os.getpid()}-{next(_counter)}"
    parent.mkdir(parents=True, exist_ok=True)
    try:
        _copy(source, folder)
        for path, text in files.items():
            target = folder / path
            # Every part of the way is a real folder of the copy (the copy holds no links).
            if not target.resolve().is_relative_to(folder.resolve()):
                raise DraftError(BAD_PATH.format(path=path))
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_dir():
                raise DraftError(BAD_PATH.format(path=path))
            target.write_text(text)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder


def _copy(source: Path, target: Path) -> None:
    """The folder's files, links inside it as the files they name; a link out is refused."""
    target.mkdir()
    for entry in sorted(source.rglob("*")):
        relative = entry.relative_to(source)
        if SKIPPED_FILES & set(relative.parts):
            continue
        if entry.is_symlink() and not entry.resolve().is_relative_to(source):
            raise DraftError(LINK_OUT.format(path=relative))
        if entry.is_dir():
            (target / relative).mkdir(exist_ok=True)
        elif entry.is_file():
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(entry, target / relative)


def drafts_tidy(*, keep: set[Path], data_dir: Path, account_id: str, stack: str) -> None:
    """Remove the account's copies of this stack but those in `keep`."""
    parent = Path(data_dir) / DRAFTS / account_id / stack
    if not parent.is_dir():
        return
    kept = {Path(k).resolve() for k in keep}
    for folder in parent.iterdir():
        if folder.resolve() not in kept:
            shutil.rmtree(folder, ignore_errors=True)


LOCAL_URIS = ("CodeUri", "ContentUri", "DefinitionUri", "Location")
OUTSIDE = ("{key} {value!r} is outside the folder: a template deployed with edits may only "
           "name files of its own folder (or s3:// objects)")


def paths_inside_checked(template, folder: Path) -> None:
    """Every local file a template names (code, layers, definitions, includes) is inside
    `folder`: a learner's template cannot package the lab's own files into a function."""
    inside = folder.resolve()
    if isinstance(template, list):
        for value in template:
            paths_inside_checked(value, folder)
        return
    if not isinstance(template, dict):
        return
    for key, value in template.items():
        if key in LOCAL_URIS and isinstance(value, str) and not value.startswith("s3://") \
                and not (inside / value).resolve().is_relative_to(inside):
            raise DraftError(OUTSIDE.format(key=key, value=value))
        paths_inside_checked(value, folder)


def draft_remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def drafts_forget(*, data_dir: Path, account_id: str) -> None:
    """Every copy of the account's (its sandbox was emptied)."""
    shutil.rmtree(Path(data_dir) / DRAFTS / account_id, ignore_errors=True)


def stack_exists(sandbox, stack: str) -> bool:
    return _stack(sandbox.client("cloudformation"), stack) is not None


def deployment_describe(sandbox, stack: str) -> dict | None:
    """What is deployed as `stack` now, as a deploy answers; None when there is none."""
    found = _stack(sandbox.client("cloudformation"), stack) if STACK_NAME.match(stack) else None
    if found is None:
        return None
    return _describe(sandbox, stack, _tag(found, FINGERPRINT_TAG) or "", reused=True).as_json()


# -- the handlers import, checked in a worker before the stack is touched ------------------

IMPORT_REFUSED = "{logical_id}: {error_type}: {message}"
SYNTAX_IN = re.compile(r"\(([^()]+\.py), line (\d+)\)")
# Init errors that mean the code cannot run at all: a module that is not there, a name it
# imports that is not there, a syntax error, no such handler. Another error the module's own
# code raises at import (e.g. calling a resource the stack has not made yet, the environment's
# values being placeholders here) shows at the first invocation, as on AWS.
IMPORT_FAILED = re.compile(r"No module named|cannot import name|Syntax error in module")
REFUSED_INIT_ERRORS = ("Runtime.ImportModuleError", "Runtime.HandlerNotFound",
                       "Runtime.UserCodeSyntaxError")
PLACEHOLDER = "lab-preflight-{name}"


def handlers_import_checked(*, runtime, sandbox, prepared) -> None:
    """Init each function of the prepared template in a throwaway worker, as a cold start
    does (the runtime's containment, the function's code and layers, its environment with
    values not yet known as placeholders), without creating the function. A handler that
    does not import raises DraftError with Lambda's error (Runtime.ImportModuleError
    "Unable to import module 'app': No module named 'x'", Runtime.HandlerNotFound,
    Runtime.UserCodeSyntaxError)."""
    from serverless_lab.cloud.awslambda.runtime.functions import FunctionConfig

    resources = prepared.resources(bucket="lab-preflight")["Resources"]
    for logical_id, resource in resources.items():
        if resource.get("Type") != "AWS::Lambda::Function":
            continue
        properties = resource.get("Properties") or {}
        code = properties.get("Code") or {}
        code_zip = prepared.artifacts.get(code.get("S3Key")) if isinstance(code, dict) else None
        if not code_zip or not isinstance(properties.get("Handler"), str):
            continue  # inline code, an image, code already in S3: nothing of ours to import
        variables = (properties.get("Environment") or {}).get("Variables") or {}
        fn = FunctionConfig(
            account_id=sandbox.account_id, region=sandbox.region,
            function_name=f"lab-preflight-{logical_id}"[:64],
            function_arn=(f"arn:aws:lambda:{sandbox.region}:{sandbox.account_id}:function:"
                          f"lab-preflight-{logical_id}"[:140]),
            handler=properties["Handler"], runtime=str(properties.get("Runtime", "python3.12")),
            memory_size=_number(properties.get("MemorySize"), 128),
            timeout=float(_number(properties.get("Timeout"), 3)),
            role=f"arn:aws:iam::{sandbox.account_id}:role/lab-preflight",
            code_zip=code_zip,
            environment=tuple(sorted((str(k), v if isinstance(v, str) else
                                      str(v) if isinstance(v, int | float | bool)
                                      else PLACEHOLDER.format(name=k))
                                     for k, v in variables.items())),
            layers_zip=_layers_zip(properties.get("Layers") or [], resources, prepared))
        env, init = runtime._start_environment(fn)  # Init only: the cold start's first half
        env.kill()
        runtime.spawner.forget_exit(env.pid)
        error = init.get("error") or {}
        error_type, message = error.get("errorType", ""), error.get("errorMessage", "")
        if error_type == "Runtime.ImportModuleError" and SYNTAX_IN.search(message):
            error_type = "Runtime.UserCodeSyntaxError"
            message = message.replace("Unable to import module", "Syntax error in module")
        if error_type == "Runtime.ImportModuleError" and not IMPORT_FAILED.search(message):
            continue  # the module's own code raised (maybe on a placeholder): invoking shows it
        if error_type in REFUSED_INIT_ERRORS:
            raise DraftError(IMPORT_REFUSED.format(logical_id=logical_id,
                                                   error_type=error_type, message=message))


def _number(value, default):
    return int(value) if isinstance(value, int | float) or str(value).isdigit() else default


def _layers_zip(layers: list, resources: dict, prepared) -> bytes:
    """The function's local layers, extracted in order into one zip (as /opt)."""
    found = []
    for layer in layers:
        ref = layer.get("Ref") if isinstance(layer, dict) else None
        content = ((resources.get(ref) or {}).get("Properties") or {}).get("Content") or {}
        data = prepared.artifacts.get(content.get("S3Key")) if isinstance(content, dict) else None
        if data:
            found.append(data)
    if not found:
        return b""
    merged: dict[str, bytes] = {}
    for data in found:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            merged.update({i.filename: archive.read(i) for i in archive.infolist()
                           if not i.is_dir()})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(merged):
            archive.writestr(name, merged[name])
    return buffer.getvalue()
