"""SAM templates: read, package and translate to CloudFormation, offline.

`package_functions` is what `sam package` does (each function's CodeUri and each layer's
ContentUri zipped and put in S3; `includes_inline` stands for its upload of OpenAPI files);
`translate` runs aws-sam-translator with no AWS call (managed policy names resolve against
moto's copy of the AWS managed policies).
"""

import hashlib
import io
import re
import tempfile
import zipfile
from copy import deepcopy
from functools import cache
from pathlib import Path

import boto3
from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import intrinsics_multi_constructor
from yaml import MarkedYAMLError, SafeLoader
from yaml import load as yaml_load

from .makefile_build import makefile_requirements

SERVERLESS_FUNCTION = "AWS::Serverless::Function"
SERVERLESS_LAYER = "AWS::Serverless::LayerVersion"
SERVERLESS_APIS = ("AWS::Serverless::Api", "AWS::Serverless::HttpApi")
# Zip entries get a fixed timestamp so the same code always hashes (and uploads) the same.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
SKIPPED_FILES = {"__pycache__", ".pytest_cache", ".aws-sam"}


class TemplateError(ValueError):
    """A template that cannot be read or translated; the message says where."""


class TemplateLoader(SafeLoader):
    """YAML as CloudFormation, SAM CLI and cfn-lint read a template: short-form intrinsics
    (`!Ref`, `!GetAtt A.B`, `!Sub`...) become their long form, and a value that looks like a
    date (`Version: 2012-10-17`, `AWSTemplateFormatVersion: 2010-09-09`) stays the string it
    is written as (YAML alone would make it a date, which no JSON template can hold)."""


TemplateLoader.add_multi_constructor("!", intrinsics_multi_constructor)
TemplateLoader.add_constructor("tag:yaml.org,2002:timestamp",
                               lambda loader, node: loader.construct_scalar(node))


def template_parse(text: str) -> dict:
    """A template's text (YAML or JSON) as CloudFormation reads it."""
    return yaml_load(text, Loader=TemplateLoader)  # noqa: S506 - a SafeLoader


def template_read(folder: Path) -> dict:
    path = folder / "template.yaml"
    if not path.exists():
        path = folder / "template.yml"
    if not path.exists():
        raise TemplateError(f"{folder}: no template.yaml")
    try:
        template = template_parse(path.read_text())
    except MarkedYAMLError as e:  # where, as an editor shows it, and what
        mark = e.problem_mark or e.context_mark
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        what = "; ".join(str(part) for part in (e.context, e.problem) if part)
        raise TemplateError(f"{path}{where}: not YAML or JSON: {what}") from None
    except Exception as e:  # noqa: BLE001 - yaml raises many kinds; the learner needs the text
        raise TemplateError(f"{path}: {e}") from None
    if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
        raise TemplateError(f"{path}: a template needs a Resources section")
    return template


def function_code_folders(template: dict, folder: Path) -> dict[str, Path]:
    """Each SAM function's code as a local path (Globals give the default): its CodeUri, a
    folder or a file (a .py file, a .zip), or with no CodeUri the template's own folder, as
    SAM CLI packages it. A function with InlineCode has none."""
    default = template.get("Globals", {}).get("Function", {}).get("CodeUri")
    folders = {}
    for logical_id, resource in template["Resources"].items():
        if not isinstance(resource, dict) or resource.get("Type") != SERVERLESS_FUNCTION:
            continue
        properties = resource.get("Properties") or {}
        if properties.get("InlineCode") is not None or properties.get("ImageUri"):
            continue
        code_uri = properties.get("CodeUri", default)
        if code_uri is None:
            code_uri = "."
        if not isinstance(code_uri, str) or code_uri.startswith("s3://"):
            continue
        path = (folder / code_uri).resolve()
        if not path.exists():
            raise TemplateError(f"{folder / 'template.yaml'}: {logical_id}: CodeUri "
                                f"{code_uri!r} is not a folder or file next to the template")
        folders[logical_id] = path
    return folders


def layer_content_folders(template: dict, folder: Path) -> dict[str, tuple[Path, str]]:
    """Each SAM layer whose ContentUri is local: its folder and its BuildMethod ('' if none)."""
    layers = {}
    for logical_id, resource in template["Resources"].items():
        if not isinstance(resource, dict) or resource.get("Type") != SERVERLESS_LAYER:
            continue
        uri = (resource.get("Properties") or {}).get("ContentUri")
        if not isinstance(uri, str) or uri.startswith("s3://"):
            continue
        path = (folder / uri).resolve()
        if not path.exists():
            raise TemplateError(f"{folder / 'template.yaml'}: {logical_id}: ContentUri "
                                f"{uri!r} is not a folder next to the template")
        method = str((resource.get("Metadata") or {}).get("BuildMethod") or "")
        layers[logical_id] = (path, method)
    return layers


def includes_inline(template, folder: Path):
    """`Fn::Transform: AWS::Include` of a local file, and a SAM API's local DefinitionUri,
    replaced by the file's content, which is what `sam package` achieves by uploading it."""
    if isinstance(template, list):
        return [includes_inline(v, folder) for v in template]
    if not isinstance(template, dict):
        return template
    transform = template.get("Fn::Transform")
    if len(template) == 1 and isinstance(transform, dict) \
            and transform.get("Name") == "AWS::Include":
        location = (transform.get("Parameters") or {}).get("Location")
        if isinstance(location, str) and not location.startswith("s3://"):
            return includes_inline(_local_document(folder, location), folder)
    inlined = {k: includes_inline(v, folder) for k, v in template.items()}
    if inlined.get("Type") in SERVERLESS_APIS and isinstance(inlined.get("Properties"), dict):
        uri = inlined["Properties"].get("DefinitionUri")
        if isinstance(uri, str) and not uri.startswith("s3://"):
            inlined["Properties"] = {k: v for k, v in inlined["Properties"].items()
                                     if k != "DefinitionUri"}
            inlined["Properties"]["DefinitionBody"] = _local_document(folder, uri)
    return inlined


def _local_document(folder: Path, location: str):
    path = folder / location
    if not path.is_file():
        raise TemplateError(f"{folder / 'template.yaml'}: {location!r} is not a file next to "
                            "the template")
    try:
        return template_parse(path.read_text())
    except Exception as e:  # noqa: BLE001 - yaml raises many kinds; the learner needs the text
        raise TemplateError(f"{path}: {e}") from None


def _entries(path: Path, prefix: str = "") -> dict[str, bytes]:
    """The files a code path zips to: a folder's files, a .zip's entries, or one file."""
    if path.is_file() and path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            return {prefix + i.filename: archive.read(i) for i in archive.infolist()
                    if not i.is_dir()}
    if path.is_file():
        return {prefix + path.name: path.read_bytes()}
    return {prefix + str(file.relative_to(path)): file.read_bytes()
            for file in sorted(path.rglob("*"))
            if file.is_file() and not SKIPPED_FILES & set(file.relative_to(path).parts)}


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, ZIP_EPOCH)
            info.external_attr = 0o644 << 16
            archive.writestr(info, entries[name], zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def zip_folder(path: Path) -> bytes:
    return _zip(_entries(path))


# AWS's public layers a template names by ARN, as the packages they hold: a function that
# uses one gets them built into its code (the lab has no copy of AWS's layers).
PUBLIC_LAYERS = (
    (re.compile(r":layer:AWSLambdaPowertoolsPythonV3"), "aws-lambda-powertools[tracer]>=3,<4"),
    (re.compile(r":layer:AWSLambdaPowertoolsPythonV2"), "aws-lambda-powertools[tracer]>=2,<3"),
    (re.compile(r":layer:AWSLambdaPowertoolsPython:"), "aws-lambda-powertools[tracer]<2"),
)


def public_layer_requirements(properties: dict, defaults: dict) -> list[str]:
    """The packages of the AWS public layers a function names (its own Layers, else Globals')."""
    layers = properties.get("Layers") or defaults.get("Layers") or []
    found = []
    for layer in layers if isinstance(layers, list) else [layers]:
        arn = layer.get("Fn::Sub") if isinstance(layer, dict) else layer
        arn = arn[0] if isinstance(arn, list) and arn else arn
        for pattern, requirement in PUBLIC_LAYERS:
            if isinstance(arn, str) and pattern.search(arn) and requirement not in found:
                found.append(requirement)
    return found


def _public_layer_folder(requirements: list[str]) -> Path:
    """A folder holding just a requirements.txt for these packages (built like a CodeUri)."""
    text = "\n".join(sorted(requirements)) + "\n"
    folder = Path(tempfile.gettempdir()) / "lab-public-layers" / hashlib.sha256(
        text.encode()).hexdigest()[:16]
    if not (folder / "requirements.txt").exists():
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "requirements.txt").write_text(text)
    return folder


def package_functions(template: dict, folder: Path, *, upload,
                      build=lambda path: path) -> tuple[dict, str]:
    """A copy of the template whose CodeUris and layers' ContentUris point at uploaded zips,
    and a fingerprint of template and code. `upload(key, data)` stores one zip and returns
    its s3:// URI; `build(folder)` returns the folder to zip (its dependencies installed).

    A layer is zipped as Lambda wants it (with a BuildMethod, built into python/; a makefile
    one only when its recipe just pip-installs packages, makefile_build.py); the lab's
    runtime mounts a function's layers at /opt. AWS's public layers named by ARN
    (PUBLIC_LAYERS) have their packages built into the function's code instead."""
    packaged = deepcopy(template)
    fingerprint = hashlib.sha256(repr(template).encode())

    def stored(data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        fingerprint.update(digest.encode())
        return upload(f"{digest}.zip", data)

    for logical_id, (path, method) in layer_content_folders(template, folder).items():
        built = method.startswith("python")
        entries = _entries(build(path) if built else path, "python/" if built else "")
        if method == "makefile" and (packages := makefile_requirements(
                path, template["Resources"][logical_id].get("Metadata") or {}, logical_id)):
            # A makefile that only pip-installs packages into python/: the same packages,
            # installed by the lab's own build (makefile_build.py); the recipe is not run.
            entries = {name: data for name, data in _entries(build(_public_layer_folder(
                packages)), "python/").items() if name != "python/requirements.txt"}
        packaged["Resources"][logical_id]["Properties"]["ContentUri"] = stored(_zip(entries))
    layer_globals = template.get("Globals", {}).get("Function", {})
    uploaded: dict[tuple, str] = {}  # functions often share one CodeUri folder
    for logical_id, path in function_code_folders(template, folder).items():
        properties = template["Resources"][logical_id].get("Properties") or {}
        public = tuple(public_layer_requirements(properties, layer_globals))
        if (path, public) not in uploaded:
            entries = {}
            if public:
                entries.update({name: data for name, data in _entries(build(
                    _public_layer_folder(list(public)))).items() if name != "requirements.txt"})
            entries.update(_entries(build(path) if path.is_dir() else path))
            uploaded[(path, public)] = stored(_zip(entries))
        packaged["Resources"][logical_id].setdefault("Properties", {})["CodeUri"] = \
            uploaded[(path, public)]
    return packaged, fingerprint.hexdigest()[:16]


class _MotoManagedPolicies:
    def load(self) -> dict[str, str]:
        return managed_policy_arns()


@cache
def managed_policy_arns() -> dict[str, str]:
    import json

    from moto.iam.aws_managed_policies import aws_managed_policies_data

    policies = json.loads(aws_managed_policies_data)
    return {name: f"arn:aws:iam::aws:policy{p.get('Path', '/')}{name}"
            for name, p in policies.items()}


def translate(template: dict, *, region: str) -> dict:
    """The CloudFormation template SAM would deploy."""
    translator = Translator(None, Parser(), boto_session=boto3.Session(region_name=region))
    try:
        return translator.translate(deepcopy(template), parameter_values={},
                                    get_managed_policy_map=managed_policy_arns)
    except InvalidDocumentException as e:
        messages = "; ".join(str(cause) for cause in e.causes)
        raise TemplateError(f"template does not translate: {messages}") from None
    except Exception as e:  # noqa: BLE001 - the translator raises assorted errors
        raise TemplateError(f"template does not translate: {e}") from None
