"""The lab cloud's control token as the web app, the `lab` command, `lab serve` and the
sandboxes app find it. Its own module, importing nothing of the apps, so that sandboxes/ (which
patterns.lab uses for shards) can read it without an import cycle."""

from django.conf import settings

from serverless_lab.cloud.control_token import ControlTokenError, control_token_load

_tokens_found: dict[tuple, str] = {}  # (data dir, configured token) -> the token


def lab_control_token(*, create: bool = False) -> str | None:
    """The lab cloud's control token, found the same way by the web app, the `lab` command
    and `lab serve`: settings.LAB_CONTROL_TOKEN (the environment's LAB_CONTROL_TOKEN), else
    LAB_DATA_DIR/control-token, which `lab serve` makes (`create`) at its first start. None
    when there is none yet (the control API then answers 401, which the page shows)."""
    where = (str(settings.LAB_DATA_DIR), settings.LAB_CONTROL_TOKEN or None)
    if (found := _tokens_found.get(where)) is not None:
        return found  # every page asks for a client: read the file once per process
    try:
        found = control_token_load(data_dir=settings.LAB_DATA_DIR, token=where[1],
                                   create=create)
    except ControlTokenError:
        if create:
            raise
        return None
    if found is not None:  # none yet: `lab serve` may make it later, so ask again then
        _tokens_found[where] = found
    return found
