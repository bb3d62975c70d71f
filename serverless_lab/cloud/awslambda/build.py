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
