"""`runserver` with the lab cloud inside: the laptop default of `make run`.

When nothing answers at LAB_CLOUD_URL, the lab cloud starts in this process on that URL's
port before Django serves. A class server runs `lab serve` on its own instead.
"""

from django.conf import settings
from django.contrib.staticfiles.management.commands.runserver import Command as RunServer

from patterns.lab import lab_cloud_ensure


class Command(RunServer):
    def inner_run(self, *args, **options):
        client = lab_cloud_ensure()
        self.stdout.write(f"Lab cloud: {client.url}"
                          + ("" if client.url == settings.LAB_CLOUD_URL else " (in this process)"))
        super().inner_run(*args, **options)
