"""For an instructor's class server: `manage.py serve` (`make serve`) runs the lab cloud, the
task worker and the web app under granian, static files through whitenoise."""

import os

from hosting.secret_key import secret_key_load

from .base import *  # noqa: F403

DEBUG = False
# DJANGO_SECRET_KEY, else one generated at first start into LAB_DATA_DIR/secret_key (0600).
SECRET_KEY = secret_key_load(data_dir=LAB_DATA_DIR)  # noqa: F405
MIDDLEWARE = [*MIDDLEWARE]  # noqa: F405
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
                  "whitenoise.middleware.WhiteNoiseMiddleware")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
SESSION_COOKIE_SECURE = os.environ.get("SECURE_COOKIES", "1") == "1"
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# HTTPS only, as `manage.py check --deploy` asks (tests/security/test_prod_settings.py). A host
# without TLS (`make serve` on plain http) sets SECURE_COOKIES=0, which turns the redirect to
# HTTPS off too; a host behind a TLS proxy that redirects already may set SECURE_SSL_REDIRECT=0.
# HSTS is sent over HTTPS only, so it never reaches a plain-http class.
SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT",
                                     "1" if SESSION_COOKIE_SECURE else "0") == "1"
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("SECURE_HSTS_INCLUDE_SUBDOMAINS", "1") == "1"
SECURE_HSTS_PRELOAD = os.environ.get("SECURE_HSTS_PRELOAD", "1") == "1"
# Behind a TLS proxy that sets X-Forwarded-Proto (and strips any the client sent), so Django
# knows a request came over HTTPS (secure cookies, the chat's wss:// check).
if os.environ.get("BEHIND_TLS_PROXY") == "1":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
