from django.apps import AppConfig


class HostingConfig(AppConfig):
    """Serving a class: `manage.py serve`, the database-outage page, the worker's tasks."""

    name = "hosting"
