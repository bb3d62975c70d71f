"""Endpoints for the interactive parts of pattern pages (`widget` in pattern.yaml).

The chat widget of the realtime-websocket pattern asks here for its WebSocket URL: the view
deploys the pattern into the learner's sandbox (a no-op when it is already there) and answers
with the URL of its WebSocket API's stage, which the page's script then connects to. The
widget gets a stack of its own (`<slug>-<widget>`), so clients left open in other tabs never
change what the pattern's scenarios count in their stack's table.

The lab cloud names its WebSocket endpoint by the loopback address it runs on, which only a
browser on the same machine can reach. On a class server (`lab serve --host 0.0.0.0`, the
WebSocket port fixed with LAB_WEBSOCKET_PORT and open to the class) a learner's browser
reaches the endpoint at the host it reached this site by, so the answer names that host.
A site served over HTTPS may not open a ws:// socket (browsers block mixed content): there a
TLS proxy carries wss:// to the lab's port, LAB_WEBSOCKET_PUBLIC_URL names where, and the
answer is that URL with the API's path.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.http import Http404, JsonResponse
from django.views.decorators.http import require_POST

from accounts.ratelimit import rate_hit, refused
from serverless_lab.cloud.client import LabCloudError

from .catalog import pattern_get
from .lab import lab_client, learner_for

NO_WEBSOCKET_API = "This pattern deployed no WebSocket API."
TOO_MANY_DEPLOYS = "You have run more often than this lab allows. Try again in {seconds} seconds."
INSECURE_FROM_HTTPS = ("This site is served over HTTPS, where browsers refuse the lab's ws:// "
                       "endpoint. The site's operator sets LAB_WEBSOCKET_PUBLIC_URL to a wss:// "
                       "address a TLS proxy forwards to the lab (see the README).")


def websocket_url_ensure(*, learner: str, pattern) -> str | None:
    """Deploy the pattern for the learner (if not deployed yet); the URL clients connect to."""
    deployment = lab_client().deploy(learner, str(pattern.folder),
                                     stack=f"{pattern.slug}-{pattern.widget}")
    return next((api["url"] for api in deployment["apis"]
                 if api["url"].startswith(("ws://", "wss://"))), None)


LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def url_for_browser(url: str, request) -> str:
    """The URL a browser opens for the lab's endpoint `url`: under LAB_WEBSOCKET_PUBLIC_URL
    if set, else with a loopback host replaced by the host the browser reached this site by."""
    endpoint = urlsplit(url)
    if settings.LAB_WEBSOCKET_PUBLIC_URL:
        return settings.LAB_WEBSOCKET_PUBLIC_URL.rstrip("/") + endpoint.path
    site = urlsplit(f"//{request.get_host()}")
    if endpoint.hostname not in LOOPBACK or site.hostname in LOOPBACK or not site.hostname:
        return url
    host = f"[{site.hostname}]" if ":" in site.hostname else site.hostname
    return endpoint._replace(netloc=f"{host}:{endpoint.port}").geturl()


@require_POST
def endpoint(request, slug):
    pattern = pattern_get(slug)
    if pattern is None or not pattern.widget:
        raise Http404(f"No pattern {slug!r} with a widget")
    # A deploy is the heaviest thing a learner can ask for: it counts as a run.
    learner = learner_for(request)
    verdict = rate_hit(scope="run", key=learner, rate=settings.RATE_LIMIT_RUN)
    if not verdict.allowed:
        return refused(JsonResponse({"error": TOO_MANY_DEPLOYS.format(
            seconds=verdict.retry_after)}), verdict)
    try:
        url = websocket_url_ensure(learner=learner, pattern=pattern)
    except LabCloudError as e:
        return JsonResponse({"error": str(e)}, status=502)
    if url is None:
        return JsonResponse({"error": NO_WEBSOCKET_API}, status=404)
    url = url_for_browser(url, request)
    if request.is_secure() and url.startswith("ws://"):
        return JsonResponse({"error": INSECURE_FROM_HTTPS}, status=503)
    return JsonResponse({"url": url})
