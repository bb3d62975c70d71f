"""The web app's and the CLI's way to the lab cloud: a client for the configured URL, a lab
cloud started in-process when none answers there, and the learner a request belongs to."""

from urllib.parse import urlparse

from django.conf import settings

from serverless_lab.cloud.client import LabClient

_embedded = None  # the in-process lab cloud, when this process started one


def lab_client() -> LabClient:
    return LabClient(_embedded.url if _embedded else settings.LAB_CLOUD_URL)


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
                         port=configured.port if port is None else port).start()
    return lab_client()


def lab_cloud_stop() -> None:
    global _embedded
    if _embedded:
        _embedded.stop()
        _embedded = None


def learner_for(request) -> str:
    """Signed-in users by id; anonymous visitors by their browser session."""
    if request.user.is_authenticated:
        return f"user-{request.user.pk}"
    if not request.session.session_key:
        request.session.save()
    return f"anon-{request.session.session_key[:20]}"
