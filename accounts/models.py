from django.db import models


class RateWindow(models.Model):
    """How many requests one client made in its current window (accounts/ratelimit.py).

    In the database rather than a cache: every server process sees the same counts, and an
    UPDATE ... count + 1 is atomic on SQLite and PostgreSQL alike (Django's database and file
    caches increment by a read then a write, which concurrent workers would race)."""

    key = models.CharField(max_length=255, unique=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.key}: {self.count}"
