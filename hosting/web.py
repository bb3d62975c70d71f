"""The web app as `manage.py serve` has granian load it: Django's WSGI or ASGI application, with
the pattern pages rendered once in each worker before it takes a learner's request.

A worker's first render of a pattern page compiles its templates, parses the pattern's SAM
template and highlights its sources (cached after, patterns/views.py and lab_extras.py): under
a class arriving at once, those first renders piled up into pages of 5 to 12 s (issue 13)."""

import logging
import sys
import time
from io import BytesIO

from django.conf import settings
from django.urls import reverse

from serverless_lab.asgi import application as asgi_application
from serverless_lab.wsgi import application as wsgi_application

__all__ = ["asgi_application", "pages_warm", "wsgi_application"]

logger = logging.getLogger(__name__)


def pages_warm(application, *, paths: list[str] | None = None) -> dict[str, int]:
    """GET each page through `application` (a WSGI one) in this process; the status of each.
    Default: the pattern index and every pattern's page, which write nothing."""
    from patterns.catalog import catalog

    if paths is None:
        paths = [reverse("patterns:index")] + [
            reverse("patterns:detail", args=[slug]) for slug in catalog()]
    host = next((h.lstrip(".") for h in settings.ALLOWED_HOSTS if h != "*"), "127.0.0.1")
    statuses = {}
    for path in paths:
        environ = {
            "REQUEST_METHOD": "GET", "PATH_INFO": path, "QUERY_STRING": "",
            "SERVER_NAME": host, "SERVER_PORT": "443", "HTTP_HOST": host,
            # As if over HTTPS, so a server that redirects plain HTTP still renders the page.
            "wsgi.url_scheme": "https", "HTTP_X_FORWARDED_PROTO": "https",
            "REMOTE_ADDR": "127.0.0.1", "wsgi.input": BytesIO(), "wsgi.errors": sys.stderr,
            "wsgi.version": (1, 0), "wsgi.multithread": True, "wsgi.multiprocess": True,
            "wsgi.run_once": False}
        started: list[str] = []
        body = application(environ, lambda status, headers, *_, seen=started: seen.append(status))
        try:
            b"".join(body)
        finally:
            getattr(body, "close", lambda: None)()
        statuses[path] = int(started[0].split()[0])
    return statuses


def _warmed():
    started = time.monotonic()
    try:
        statuses = pages_warm(wsgi_application)
    except Exception:  # a page that fails here fails for the learner too, and is logged then
        logger.exception("warming the pages failed")
        return
    # On the worker's output, which `manage.py serve` shows prefixed with [web].
    print(f"{len(statuses)} pages warmed in {time.monotonic() - started:.1f} s", flush=True)


_warmed()
