"""The page a request gets while the database is not answering: 503 with Retry-After."""

import logging

from django.db.utils import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template.loader import render_to_string

DATABASE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5
DATABASE_UNAVAILABLE = ("The lab's database is not answering just now, so nothing of this "
                        "request was saved. Try again in a few seconds.")

log = logging.getLogger(__name__)


def outage_response(request, *, error: BaseException) -> HttpResponse:
    """503 with the retry hint: the whole page, or for htmx its message alone (swapped into
    the region the learner acted on). Rendered without the request, so without context
    processors: nothing here may touch the database."""
    log.warning("database unavailable for %s %s: %s", request.method, request.path, error)
    template = "hosting/unavailable.html"
    if getattr(request, "htmx", False):
        template += "#message"
    context = {"message": DATABASE_UNAVAILABLE, "retry_after": RETRY_AFTER_SECONDS,
               "refresh": request.method == "GET"}
    response = HttpResponse(render_to_string(template, context), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
