"""The ASGI application, which `manage.py serve` runs under granian (async views, such as the
live quiz's server-sent events, need it; sync views run in a thread per request)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "serverless_lab.settings.dev")
application = get_asgi_application()
