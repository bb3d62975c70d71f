"""The control API's secret: whoever holds it drives every sandbox (issue 11).

LAB_CONTROL_TOKEN if set; otherwise `<data dir>/control-token`, generated (mode 0600) at the
lab cloud's first start and read from there by the web app and the `lab` command, which share
the data directory (settings.LAB_DATA_DIR).
"""

import os
import secrets
from pathlib import Path

FILE_NAME = "control-token"
ENV_VARIABLE = "LAB_CONTROL_TOKEN"
CANNOT_MAKE = "cannot read or create the lab's control token at {path}: {error}"


class ControlTokenError(RuntimeError):
    pass


def control_token_path(*, data_dir: Path) -> Path:
    return Path(data_dir) / FILE_NAME


def control_token_load(*, data_dir: Path, token: str | None = None,
                       create: bool = True) -> str | None:
    """The token: `token` (a setting), else LAB_CONTROL_TOKEN, else the data directory's
    file, made at random the first time when `create`. None only when not `create` and there
    is none yet. ControlTokenError when the file can be neither read nor made."""
    if token := token or os.environ.get(ENV_VARIABLE):
        return token
    path = control_token_path(data_dir=data_dir)
    try:
        return _read(path)
    except FileNotFoundError:
        if not create:
            return None
    except OSError as e:
        raise ControlTokenError(CANNOT_MAKE.format(path=path, error=e)) from None
    try:
        return _create(path)
    except OSError as e:
        raise ControlTokenError(CANNOT_MAKE.format(path=path, error=e)) from None


def _read(path: Path) -> str:
    token = path.read_text().strip()
    if not token:
        raise ControlTokenError(CANNOT_MAKE.format(path=path, error="the file is empty"))
    return token


def _create(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    # Written whole under a private name, then linked into place: of lab clouds starting
    # together one wins, the others read its token, and no reader sees a half-written file.
    draft = path.with_name(f".{FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(token + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            return _read(path)
    finally:
        draft.unlink(missing_ok=True)
    return token
