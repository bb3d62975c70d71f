"""The production settings (serverless_lab/settings/prod.py), each loaded in a process of its
own as a class server loads them: `check --deploy` finds nothing with the defaults, and each
environment variable a host sets does what the README says."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLEAN = "System check identified no issues (0 silenced)."
YEAR_IN_SECONDS = 365 * 24 * 3600


@pytest.fixture
def prod_env(tmp_path):
    """A class server's environment, not the test run's (no DJANGO_ALLOW_ASYNC_UNSAFE, no
    canary secrets): SQLite and the data directory in tmp_path, a long random secret key."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    return {**env, "DJANGO_SETTINGS_MODULE": "serverless_lab.settings.prod",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
            "LAB_DATA_DIR": str(tmp_path / "data"), "SQLITE_PATH": str(tmp_path / "db.sqlite3")}


def check_deploy(env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


SETTINGS_DUMP = """
import json, django
from django.conf import settings
django.setup()
names = ["DEBUG", "SECRET_KEY", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
         "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
         "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER", "MIDDLEWARE", "SECURE_CSP",
         "LOGIN_URL", "RATE_LIMIT_PROXIES", "RATE_LIMIT_RUN", "STORAGES"]
print(json.dumps({n: getattr(settings, n, None) for n in names}, default=str))
"""


def prod_settings(env: dict, **overrides: str) -> dict:
    result = subprocess.run([sys.executable, "-c", SETTINGS_DUMP], cwd=ROOT, text=True,
                            env={**env, **overrides}, capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_check_deploy_finds_nothing_with_the_defaults(prod_env):
    result = check_deploy(prod_env)
    assert (result.returncode, result.stdout.strip(), result.stderr) == (0, CLEAN, ""), \
        result.stderr


def test_check_deploy_finds_nothing_with_the_generated_secret_key(prod_env, tmp_path):
    del prod_env["DJANGO_SECRET_KEY"]
    result = check_deploy(prod_env)
    assert (result.returncode, result.stdout.strip(), result.stderr) == (0, CLEAN, ""), \
        result.stderr
    assert (tmp_path / "data" / "secret_key").stat().st_mode & 0o777 == 0o600


def test_check_deploy_does_report_a_host_without_tls(prod_env):
    # What a plain-http class server (`make serve`) gives up, and proof the check above can fail.
    result = check_deploy({**prod_env, "SECURE_COOKIES": "0"})
    for warning in ("security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


def test_the_defaults_are_https_only(prod_env):
    s = prod_settings(prod_env)
    assert s["DEBUG"] is False and s["SECRET_KEY"] == prod_env["DJANGO_SECRET_KEY"]
    assert s["SESSION_COOKIE_SECURE"] and s["CSRF_COOKIE_SECURE"] and s["SECURE_SSL_REDIRECT"]
    assert s["SECURE_HSTS_SECONDS"] == YEAR_IN_SECONDS
    assert s["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and s["SECURE_HSTS_PRELOAD"]
    assert s["SECURE_PROXY_SSL_HEADER"] is None and s["RATE_LIMIT_PROXIES"] == 0
    assert s["LOGIN_URL"] == "accounts:login" and s["RATE_LIMIT_RUN"] == "30/m"


def test_the_middleware_order_csp_and_static_files(prod_env):
    s = prod_settings(prod_env)
    middleware = s["MIDDLEWARE"]
    assert middleware[:2] == ["django.middleware.security.SecurityMiddleware",
                              "whitenoise.middleware.WhiteNoiseMiddleware"]
    assert "django.middleware.csp.ContentSecurityPolicyMiddleware" in middleware
    assert s["SECURE_CSP"]["script-src"] == ["'self'"]
    assert s["STORAGES"]["staticfiles"]["BACKEND"] == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage")


def test_a_host_without_tls_turns_secure_cookies_and_the_redirect_off_together(prod_env):
    s = prod_settings(prod_env, SECURE_COOKIES="0")
    assert not s["SESSION_COOKIE_SECURE"] and not s["CSRF_COOKIE_SECURE"]
    assert not s["SECURE_SSL_REDIRECT"]


def test_behind_a_tls_proxy_that_redirects_already(prod_env):
    s = prod_settings(prod_env, BEHIND_TLS_PROXY="1", SECURE_SSL_REDIRECT="0")
    assert s["SESSION_COOKIE_SECURE"] and not s["SECURE_SSL_REDIRECT"]
    assert s["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert s["RATE_LIMIT_PROXIES"] == 1  # the client's address is the one the proxy saw


def test_hsts_can_be_set_by_the_host(prod_env):
    s = prod_settings(prod_env, SECURE_HSTS_SECONDS="3600", SECURE_HSTS_PRELOAD="0",
                      SECURE_HSTS_INCLUDE_SUBDOMAINS="0")
    assert s["SECURE_HSTS_SECONDS"] == 3600
    assert not s["SECURE_HSTS_PRELOAD"] and not s["SECURE_HSTS_INCLUDE_SUBDOMAINS"]


SERVED = """
import json, django
django.setup()
from django.test import Client
plain = Client(HTTP_HOST="localhost").get("/patterns/rest-api/download/")
tls = Client(HTTP_HOST="localhost").get("/patterns/rest-api/download/", secure=True)
print(json.dumps({"plain": [plain.status_code, plain.headers.get("Location")],
                  "tls": [tls.status_code, tls.headers.get("Strict-Transport-Security"),
                          tls.headers.get("Content-Security-Policy")]}))
"""


def test_served_over_http_it_redirects_and_over_https_it_sends_hsts_and_the_policy(prod_env):
    result = subprocess.run([sys.executable, "-c", SERVED], cwd=ROOT, env=prod_env, text=True,
                            capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr
    served = json.loads(result.stdout)
    assert served["plain"] == [301, "https://localhost/patterns/rest-api/download/"]
    status, hsts, policy = served["tls"]
    assert status == 200
    assert hsts == f"max-age={YEAR_IN_SECONDS}; includeSubDomains; preload"
    assert "script-src 'self'" in policy
