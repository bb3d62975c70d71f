"""SAM templates: read, package and translate to CloudFormation, offline.

`package_functions` is what `sam package` does (each function's CodeUri folder zipped and put
in S3); `translate` runs aws-sam-translator with no AWS call (managed policy names resolve
against moto's copy of the AWS managed policies).
"""

import hashlib
import io
import zipfile
from copy import deepcopy
from functools import cache
from pathlib import Path

import boto3
from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator
from samtranslator.yaml_helper import yaml_parse

SERVERLESS_FUNCTION = "AWS::Serverless::Function"
# Zip entries get a fixed timestamp so the same code always hashes (and uploads) the same.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
SKIPPED_FILES = {"__pycache__", ".pytest_cache", ".aws-sam"}


class TemplateError(ValueError):
    """A template that cannot be read or translated; the message says where."""


def template_read(folder: Path) -> dict:
    path = folder / "template.yaml"
    if not path.exists():
        path = folder / "template.yml"
    if not path.exists():
        raise TemplateError(f"{folder}: no template.yaml")
    try:
        template = yaml_parse(path.read_text())
    except Exception as e:  # noqa: BLE001 - yaml raises many kinds; the learner needs the text
        raise TemplateError(f"{path}: {e}") from None
    if not isinstance(template, dict) or not isinstance(template.get("Resources"), dict):
        raise TemplateError(f"{path}: a template needs a Resources section")
    return template


def function_code_folders(template: dict, folder: Path) -> dict[str, Path]:
    """Each SAM function's CodeUri as a local folder (Globals give the default)."""
    default = template.get("Globals", {}).get("Function", {}).get("CodeUri")
    folders = {}
    for logical_id, resource in template["Resources"].items():
        if resource.get("Type") != SERVERLESS_FUNCTION:
            continue
        code_uri = resource.get("Properties", {}).get("CodeUri", default)
        if code_uri is None and resource.get("Properties", {}).get("InlineCode"):
            continue
        if not isinstance(code_uri, str) or code_uri.startswith("s3://"):
            continue
        path = (folder / code_uri).resolve()
        if not path.is_dir():
            raise TemplateError(f"{folder / 'template.yaml'}: {logical_id}: CodeUri "
                                f"{code_uri!r} is not a folder next to the template")
        folders[logical_id] = path
    return folders


def zip_folder(path: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(path.rglob("*")):
            if file.is_file() and not SKIPPED_FILES & set(file.relative_to(path).parts):
                info = zipfile.ZipInfo(str(file.relative_to(path)), ZIP_EPOCH)
                info.external_attr = 0o644 << 16
                archive.writestr(info, file.read_bytes(), zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def package_functions(template: dict, folder: Path, *, upload,
                      build=lambda path: path) -> tuple[dict, str]:
    """A copy of the template whose CodeUris point at uploaded zips, and a fingerprint of
    template and code. `upload(key, data)` stores one zip and returns its s3:// URI;
    `build(folder)` returns the folder to zip (with its dependencies installed)."""
    packaged = deepcopy(template)
    fingerprint = hashlib.sha256(repr(template).encode())
    uploaded: dict[Path, str] = {}  # functions often share one CodeUri folder
    for logical_id, path in function_code_folders(template, folder).items():
        if path not in uploaded:
            data = zip_folder(build(path))
            digest = hashlib.sha256(data).hexdigest()
            fingerprint.update(digest.encode())
            uploaded[path] = upload(f"{digest}.zip", data)
        packaged["Resources"][logical_id].setdefault("Properties", {})["CodeUri"] = uploaded[path]
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
