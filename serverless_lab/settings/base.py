"""Settings shared by every environment. dev/test/prod import from here."""

import os
from pathlib import Path

from django.utils.csp import CSP

from hosting.databases import database_from_env
from sandboxes.shards import shard_urls_from_env

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
    "django_tasks_db",
    "hosting",
    "accounts",
    "quizzes",
    "classrooms",
    "sandboxes",
    "lti_tool",  # django-lti: LMS registrations, deployments, keys (LTI 1.3)
    "lms",
    "live",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A database outage answers 503 with Retry-After (hosting/middleware.py).
    "hosting.middleware.DatabaseOutageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The Content Security Policy, SECURE_CSP below.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
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

# PostgreSQL (psycopg 3) when DATABASE_URL is set, else SQLite; see hosting/databases.py.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
DATABASES = {"default": database_from_env(url=DATABASE_URL,
                                          sqlite_path=os.environ.get("SQLITE_PATH",
                                                                     BASE_DIR / "db.sqlite3"))}

# Background work (deploys ahead of need, evictions) runs in django-tasks-db's worker,
# `manage.py db_worker`, which `manage.py serve` starts.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# Where the class server keeps what it makes (the generated secret key, the lab's data).
LAB_DATA_DIR = Path(os.environ.get("LAB_DATA_DIR", BASE_DIR / ".lab"))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# The lab cloud: a moto server with the lab's Lambda runtime and control API (/_lab/).
# The web app always talks to it over HTTP; `runserver` starts one in-process when
# nothing answers at this URL (the laptop default), a class server runs `lab serve`.
LAB_CLOUD_HOST = os.environ.get("LAB_CLOUD_HOST", "127.0.0.1")
LAB_CLOUD_PORT = int(os.environ.get("LAB_CLOUD_PORT", "4566"))
LAB_CLOUD_URL = os.environ.get("LAB_CLOUD_URL", f"http://{LAB_CLOUD_HOST}:{LAB_CLOUD_PORT}")
# The control API's secret (issue 11): LAB_CONTROL_TOKEN, else LAB_DATA_DIR/control-token,
# which the lab cloud makes at its first start (patterns.lab.lab_control_token).
LAB_CONTROL_TOKEN = os.environ.get("LAB_CONTROL_TOKEN", "")
# The lab cloud's AWS endpoint as learners' machines reach it, for the "Use your own tools"
# panel (a class server: e.g. http://lab.example.edu:4566); default LAB_CLOUD_URL.
LAB_CLOUD_PUBLIC_URL = os.environ.get("LAB_CLOUD_PUBLIC_URL", "")
# Shards (sandboxes/): LAB_CLOUD_URLS=http://h1:4566,http://h2:4566, or LAB_SHARDS=N for the N
# local ones of `lab serve --shards N` (LAB_CLOUD_URL's port + i). Empty: LAB_CLOUD_URL alone.
LAB_CLOUD_URLS = shard_urls_from_env(os.environ, cloud_url=LAB_CLOUD_URL)
# Sandboxes idle this long are evicted (`manage.py sandboxes evict`) and rebuilt on demand.
LAB_SANDBOX_IDLE_MINUTES = float(os.environ.get("LAB_SANDBOX_IDLE_MINUTES", "60"))

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

# --- the web app facing a class (issue 11.6) ----------------------------------------------
# Content Security Policy (Django's own, django.middleware.csp): scripts only from this site's
# static files, never inline or eval'd; no page of ours embeds inline <script> or on*=
# handlers (tests/security/test_csp.py renders every page to keep it so).
# Inline styles are allowed for Mermaid, which styles the SVG diagrams it draws in the page.
# The chat widget opens WebSockets to the lab's own port (ws:) or, behind a TLS proxy, to
# LAB_WEBSOCKET_PUBLIC_URL (wss:).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF, "ws:", "wss:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Rate limits (accounts/ratelimit.py), counted in the database so every server process shares
# them: "N/s", "N/m", "N/h", "N/d" or e.g. "5/10m"; an empty value turns a limit off.
# Sign-in per username and per client address; sign-up per address; runs (scenarios, requests,
# clock, the chat widget's deploy) per learner. A class behind one NAT address shares the
# per-address limits: raise RATE_LIMIT_LOGIN_IP and RATE_LIMIT_SIGNUP for it.
RATE_LIMIT_LOGIN = os.environ.get("RATE_LIMIT_LOGIN", "10/m")
RATE_LIMIT_LOGIN_IP = os.environ.get("RATE_LIMIT_LOGIN_IP", "60/m")
RATE_LIMIT_SIGNUP = os.environ.get("RATE_LIMIT_SIGNUP", "30/m")
RATE_LIMIT_RUN = os.environ.get("RATE_LIMIT_RUN", "30/m")
# How many proxies in front of the app append to X-Forwarded-For (the client's address is the
# one the outermost saw); 1 behind a TLS proxy (BEHIND_TLS_PROXY=1), else 0 (REMOTE_ADDR).
RATE_LIMIT_PROXIES = int(os.environ.get("RATE_LIMIT_PROXIES",
                                        "1" if os.environ.get("BEHIND_TLS_PROXY") == "1" else "0"))
