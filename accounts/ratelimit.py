"""Rate limits for sign-in, sign-up and pattern runs: a fixed window per client, counted in
the database (models.RateWindow) so that every server process shares the counts.

A rate is written as Django REST framework and django-ratelimit write theirs: "10/m" is ten
a minute, "100/h" a hundred an hour, "5/10m" five in ten minutes; an empty rate is no limit.
"""

import hashlib
import math
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from .models import RateWindow

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
RATE_FORMAT = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")
BAD_RATE = ("A rate is 'N/unit' with unit s, m, h or d, optionally with a number of them "
            "('5/10m'), not {rate!r}.")


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # whole seconds until the window that refused ends


ALLOWED = Verdict(allowed=True)


def rate_parse(text: str) -> Rate:
    match = RATE_FORMAT.match(text)
    if not match:
        raise ValueError(BAD_RATE.format(rate=text))
    count, multiple, unit = match.groups()
    return Rate(count=int(count), seconds=int(multiple or 1) * UNITS[unit])


def rate_hit(*, scope: str, key: str, rate: str, now: float | None = None) -> Verdict:
    """Count one request by `key` (a client address, a username, a learner) in `scope`;
    refused once more than the rate's count fall in one window. A window opens at the first
    request after the last one ended (not on the clock's minute), so it always lasts the
    rate's whole period."""
    if not rate.strip():
        return ALLOWED
    limit = rate_parse(rate)
    at = datetime.fromtimestamp(time.time() if now is None else now, UTC)
    ends = at + timedelta(seconds=limit.seconds)
    # Hashed: the table holds no usernames or addresses, and every key fits the column.
    row_key = f"{scope}:{limit.seconds}:{hashlib.sha256(key.encode()).hexdigest()}"
    window = RateWindow.objects.filter(key=row_key)
    # The UPDATE holds the row (PostgreSQL's row lock; SQLite's write lock, taken when the
    # transaction begins) until the count is read back: no other process counts in between.
    with transaction.atomic():
        if not window.filter(expires_at__gt=at).update(count=F("count") + 1):
            if not window.update(count=1, expires_at=ends):  # the last window is over
                _window_open(row_key, expires_at=ends, now=at)
        count, expires_at = window.values_list("count", "expires_at").get()
    if count <= limit.count:
        return ALLOWED
    return Verdict(allowed=False,
                   retry_after=max(1, math.ceil((expires_at - at).total_seconds())))


def _window_open(row_key: str, *, expires_at: datetime, now: datetime) -> None:
    try:
        with transaction.atomic():
            RateWindow.objects.create(key=row_key, count=1, expires_at=expires_at)
    except IntegrityError:  # another process opened it first
        RateWindow.objects.filter(key=row_key).update(count=F("count") + 1)
    else:
        RateWindow.objects.filter(expires_at__lt=now).delete()  # clients long gone


def verdict_combine(*verdicts: Verdict) -> Verdict:
    """Refused if any is, until the last refusing window ends."""
    refused = [v for v in verdicts if not v.allowed]
    return max(refused, key=lambda v: v.retry_after) if refused else ALLOWED


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or behind RATE_LIMIT_PROXIES trusted proxies the
    address the outermost of them saw (each appends the address it was reached from to
    X-Forwarded-For, so entries left of that one are whatever the client claimed)."""
    proxies = settings.RATE_LIMIT_PROXIES
    if proxies:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                     if a.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def refused(response, verdict: Verdict):
    """`response` as the 429 of a refused request, saying when to try again."""
    response.status_code = 429
    response["Retry-After"] = str(verdict.retry_after)
    return response
