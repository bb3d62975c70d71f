"""The web app's and the CLI's way to the lab cloud: a client for the configured URL, a lab
cloud started in-process when none answers there, and the learner a request belongs to."""

from urllib.parse import urlparse

from django.conf import settings

from serverless_lab.cloud.client import LabClient
from serverless_lab.cloud.control_token import ControlTokenError

from .lab_token import lab_control_token

__all__ = ["lab_client", "lab_cloud_ensure", "lab_control_token"]

_embedded = None  # the in-process lab cloud, when this process started one


def lab_client() -> LabClient:
    """A client whose methods taking a learner reach that learner's sandbox: with shards
    (LAB_CLOUD_URLS or LAB_SHARDS), on the shard they are placed on (sandboxes/client.py)."""
    if not _embedded and settings.LAB_CLOUD_URLS:
        from sandboxes.client import ShardedLabClient

        return ShardedLabClient(settings.LAB_CLOUD_URLS, token=lab_control_token())
    if _embedded:
        return LabClient(_embedded.url, token=_embedded.control_token)
    return LabClient(settings.LAB_CLOUD_URL, token=lab_control_token())


def lab_cloud_ensure(*, port: int | None = None) -> LabClient:
    """A client of a running lab cloud: the configured one if it answers, else one started in
    this process (on `port`, default the configured port; 0 picks a free one)."""
    global _embedded
    client = lab_client()
    if _embedded or client.healthy():
        return client
    from serverless_lab.cloud.server import LabCloud

    configured = urlparse(settings.LAB_CLOUD_URL)
    _embedded = LabCloud(host=configured.hostname or "127.0.0.1",
                         port=configured.port if port is None else port,
                         control_token=_token_to_share()).start()
    return lab_client()


def _token_to_share() -> str | None:
    """The token an in-process lab cloud takes: the one `lab` commands find (made in
    LAB_DATA_DIR if need be), else (a read-only data directory) one of its own."""
    try:
        return lab_control_token(create=True)
    except ControlTokenError:
        return None


def lab_cloud_stop() -> None:
    global _embedded
    if _embedded:
        _embedded.stop()
        _embedded = None


def learner_for(request) -> str:
    """Signed-in users by id; anonymous visitors by their browser session."""
    if request.user.is_authenticated:
        return learner_for_user(request.user)
    if not request.session.session_key:
        request.session.save()
    return f"anon-{request.session.session_key[:20]}"


def learner_for_user(user) -> str:
    """A signed-in user's learner id, also for pages and tasks acting on their sandbox."""
    return f"user-{user.pk}"
