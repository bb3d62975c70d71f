import sys

from django.views import defaults

from .outage import DATABASE_ERRORS, outage_response


def server_error(request):
    """The 500 handler: a database outage met outside the view (middleware saving the
    session) is still a 503 with a retry hint; anything else is Django's 500 page."""
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_ERRORS):
        return outage_response(request, error=error)
    return defaults.server_error(request)
