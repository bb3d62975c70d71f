"""`sam build` for Python functions: a CodeUri folder with a requirements.txt becomes the code
plus its dependencies, installed once per distinct folder content and cached.

Only wheels are installed (no package's setup code runs on the lab's machine, and Lambda
needs binary wheels anyway), in a clean environment that carries none of the app's secrets.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from serverless_lab.cloud.deploy.sam import SKIPPED_FILES, TemplateError

REQUIREMENTS = "requirements.txt"
PIP_TIMEOUT_SECONDS = 300
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def folder_digest(path: Path) -> str:
    digest = hashlib.sha256()
    for file in sorted(path.rglob("*")):
        if file.is_file() and not SKIPPED_FILES & set(file.relative_to(path).parts):
            digest.update(str(file.relative_to(path)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def built_folder(path: Path, *, cache_dir: Path) -> Path:
    """The folder to zip for a function: itself, or a cached build with its requirements."""
    if not (path / REQUIREMENTS).exists():
        return path
    key = folder_digest(path)
    target = cache_dir / key
    with _locks_guard:
        lock = _locks.setdefault(key, threading.Lock())
    with lock:
        if target.exists():
            return target
        staging = Path(tempfile.mkdtemp(dir=cache_dir.parent if cache_dir.exists() else None))
        shutil.copytree(path, staging, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(*SKIPPED_FILES))
        environment = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
        environment["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
        result = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--only-binary=:all:",
             "--target", str(staging), "-r", str(path / REQUIREMENTS)],
            capture_output=True, text=True, env=environment, timeout=PIP_TIMEOUT_SECONDS)
        if result.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            last = (result.stderr.strip().splitlines() or ["pip failed"])[-1]
            raise TemplateError(f"{path / REQUIREMENTS}: cannot install: {last}")
        cache_dir.mkdir(parents=True, exist_ok=True)
        staging.rename(target)
        return target


# Lambda's limit on a function's code and layers unzipped (content/aws_numbers.yaml
# lambda.package_unzipped: 250 MB) and AWS's own words when a package is over it.
PACKAGE_UNZIPPED_MAX_BYTES = 250 * 1024 * 1024
PACKAGE_TOO_LARGE = ("{logical_id}: Unzipped size must be smaller than {limit} bytes "
                     "(its code and layers are {size:,} bytes unzipped)")


def unzipped_size(path: Path) -> int:
    """The bytes a code path unzips to, summed from the files' sizes before anything is read
    or zipped (a symlink counts as itself, never as what it names)."""
    if path.is_file():
        return path.lstat().st_size
    return sum(file.lstat().st_size for file in path.rglob("*")
               if not file.is_symlink() and file.is_file()
               and not SKIPPED_FILES & set(file.relative_to(path).parts))


def package_size_refused(template: dict, folder: Path) -> str | None:
    """AWS's refusal for the first function whose code and local layers are over Lambda's
    unzipped limit, or None. Checked before anything is built, zipped or created."""
    from serverless_lab.cloud.deploy.sam import function_code_folders, layer_content_folders

    layers = {logical_id: unzipped_size(path)
              for logical_id, (path, _) in layer_content_folders(template, folder).items()}
    defaults = (template.get("Globals") or {}).get("Function") or {}
    for logical_id, path in function_code_folders(template, folder).items():
        properties = template["Resources"][logical_id].get("Properties") or {}
        named = properties.get("Layers", defaults.get("Layers")) or []
        size = unzipped_size(path) + sum(
            layers.get(layer.get("Ref"), 0) for layer in named if isinstance(layer, dict))
        if size >= PACKAGE_UNZIPPED_MAX_BYTES:
            return PACKAGE_TOO_LARGE.format(logical_id=logical_id, size=size,
                                            limit=PACKAGE_UNZIPPED_MAX_BYTES)
    return None
