"""The class server's secret key: DJANGO_SECRET_KEY, else one kept in the data directory."""

import os
import secrets
from pathlib import Path


def secret_key_load(*, data_dir: Path) -> str:
    """DJANGO_SECRET_KEY if set; otherwise `data_dir/secret_key`, generated (mode 0600) the
    first time, so sessions survive restarts without anyone having to make one."""
    if key := os.environ.get("DJANGO_SECRET_KEY"):
        return key
    path = Path(data_dir) / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    try:
        # O_EXCL: of processes starting together, one writes the key and the others read it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    return key
