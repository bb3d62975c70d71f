"""What a deploy does once per template, whichever account it goes to (issue 13).

Reading and parsing the template, inlining local state machine definitions, `sam build`,
zipping each CodeUri and the SAM translation depend only on the folder's content, so they are
done once per content (a hash of every file in the folder) and kept. What depends on the
account stays per deploy: the zips are uploaded into the account's own artifacts bucket, and
the translated template, which names that bucket, is handed out as a fresh copy each time (a
deploy takes resources out of its copy), so two deploys never share mutable state.
"""

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from serverless_lab.cloud.awslambda.build import built_folder, folder_digest
from serverless_lab.cloud.stepfunctions.execution import inline_definition_uris

from .sam import (
    function_code_folders,
    includes_inline,
    package_functions,
    template_read,
    translate,
)

# Packaged CodeUris name this bucket; each deploy writes its account's bucket in its place.
ARTIFACT_BUCKET_PLACEHOLDER = "lab-artifacts-placeholder-account"
CACHED_TEMPLATES = 64


@dataclass(frozen=True)
class PreparedTemplate:
    fingerprint: str  # of the template and its code: an unchanged stack is kept
    artifacts: dict[str, bytes]  # S3 key -> the zip of one CodeUri folder
    translated: str  # the CloudFormation template (JSON), naming the placeholder bucket
    outside: dict[str, str]  # code and definitions outside the template's folder -> digest

    def resources(self, *, bucket: str) -> dict:
        """A copy of the translated template of its own, its code in bucket."""
        return json.loads(self.translated.replace(ARTIFACT_BUCKET_PLACEHOLDER, bucket))


_lock = threading.Lock()
_prepared: OrderedDict[tuple, PreparedTemplate] = OrderedDict()
_preparing: dict[tuple, threading.Lock] = {}


def template_prepare(*, folder: Path, region: str, build_cache: Path | None) -> PreparedTemplate:
    """The folder's template packaged and translated, from the cache when its content is
    unchanged. Raises TemplateError (nothing is kept) for a template that cannot be used."""
    key = (str(folder.resolve()), folder_digest(folder), region, str(build_cache))
    with _lock:
        lock = _preparing.setdefault(key, threading.Lock())
    with lock:  # two learners deploying a new template at once: prepared once
        with _lock:
            found = _prepared.get(key)
        if found is not None and all(_digest(Path(path)) == digest
                                     for path, digest in found.outside.items()):
            with _lock:
                _prepared.move_to_end(key)
            return found
        try:
            prepared = _prepare(folder, region=region, build_cache=build_cache)
        finally:
            with _lock:
                _preparing.pop(key, None)
        with _lock:
            _prepared[key] = prepared
            while len(_prepared) > CACHED_TEMPLATES:
                _prepared.popitem(last=False)
        return prepared


def _prepare(folder: Path, *, region: str, build_cache: Path | None) -> PreparedTemplate:
    template = includes_inline(template_read(folder), folder)
    inside = folder.resolve()
    used = [*function_code_folders(template, folder).values(),
            *((folder / uri).resolve() for uri in _definition_uris(template))]
    outside = {str(path): _digest(path) for path in set(used) if not path.is_relative_to(inside)}
    template = inline_definition_uris(template, folder)
    artifacts: dict[str, bytes] = {}

    def keep(key: str, data: bytes) -> str:
        artifacts[key] = data
        return f"s3://{ARTIFACT_BUCKET_PLACEHOLDER}/{key}"

    packaged, fingerprint = package_functions(
        template, folder, upload=keep,
        build=(lambda path: built_folder(path, cache_dir=build_cache)) if build_cache
        else (lambda path: path))
    translated = translate(packaged, region=region)
    return PreparedTemplate(fingerprint=fingerprint, artifacts=artifacts,
                            translated=json.dumps(translated), outside=outside)


def _definition_uris(template: dict) -> list[str]:
    """State machines' local DefinitionUri files (inline_definition_uris reads them)."""
    return [properties["DefinitionUri"] for resource in template["Resources"].values()
            if isinstance(resource, dict)
            and resource.get("Type") == "AWS::Serverless::StateMachine"
            and isinstance(properties := resource.get("Properties") or {}, dict)
            and isinstance(properties.get("DefinitionUri"), str)
            and not properties["DefinitionUri"].startswith("s3://")]


def _digest(path: Path) -> str:
    if path.is_dir():
        return folder_digest(path)
    return hashlib.sha256(path.read_bytes() if path.is_file() else b"").hexdigest()
