"""A database outage answers 503 with a retry hint instead of a server error.

On PostgreSQL requests run in one transaction each (ATOMIC_REQUESTS), so a view that fails on
the database has written nothing (on SQLite, writes that belong together are atomic blocks).
A failure in other middleware (the session saved after the view) never reaches a middleware
as an exception: `views.server_error`, the 500 handler, covers it."""

from .outage import DATABASE_ERRORS, outage_response


class DatabaseOutageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            return outage_response(request, error=exception)
        return None
