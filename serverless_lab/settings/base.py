"""Settings shared by every environment. dev/test/prod import from here."""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev-only-not-secret")
DEBUG = False
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")

INSTALLED_APPS = [
    "patterns",  # first: its runserver (which starts the lab cloud) wraps staticfiles' one
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "quizzes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "serverless_lab.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "serverless_lab.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("SQLITE_PATH", BASE_DIR / "db.sqlite3"),
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

LOGIN_URL = "admin:login"

# The lab cloud: a moto server with the lab's Lambda runtime and control API (/_lab/).
# The web app always talks to it over HTTP; `runserver` starts one in-process when
# nothing answers at this URL (the laptop default), a class server runs `lab serve`.
LAB_CLOUD_HOST = os.environ.get("LAB_CLOUD_HOST", "127.0.0.1")
LAB_CLOUD_PORT = int(os.environ.get("LAB_CLOUD_PORT", "4566"))
LAB_CLOUD_URL = os.environ.get("LAB_CLOUD_URL", f"http://{LAB_CLOUD_HOST}:{LAB_CLOUD_PORT}")

# Where browsers reach the lab's WebSocket APIs when the site is behind a TLS proxy (an HTTPS
# page may not open ws://): e.g. wss://lab.example.edu/ws, proxied to LAB_WEBSOCKET_PORT with
# the prefix stripped. Unset: the lab's own ws:// endpoint, at the host the browser used.
LAB_WEBSOCKET_PUBLIC_URL = os.environ.get("LAB_WEBSOCKET_PUBLIC_URL", "")

PATTERN_CATALOG_DIR = BASE_DIR / "patterns" / "catalog"

# --- quizzes (issue 6) -------------------------------------------------------------------
# The mock exam's timer, adjustable as WCAG 2.2.1 asks: QUIZ_TIMER_ENABLED=0 turns it off,
# QUIZ_TIMER_EXTENSION=1.5 gives half as long again (a multiplier of the 130 minutes).
QUIZ_TIMER_ENABLED = os.environ.get("QUIZ_TIMER_ENABLED", "1") != "0"
QUIZ_TIMER_EXTENSION = float(os.environ.get("QUIZ_TIMER_EXTENSION", "1"))
