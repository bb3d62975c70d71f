"""For an instructor's class server: a separate `lab serve` process, gunicorn for Django."""

import os

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
SESSION_COOKIE_SECURE = os.environ.get("SECURE_COOKIES", "1") == "1"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Behind a TLS proxy that sets X-Forwarded-Proto (and strips any the client sent), so Django
# knows a request came over HTTPS (secure cookies, the chat's wss:// check).
if os.environ.get("BEHIND_TLS_PROXY") == "1":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
