"""API Gateway's throttling: a token bucket per method (REST) or route (HTTP API) and stage.

The burst is the bucket's size and the rate refills it, token by token; a request takes one
token or is refused with 429 Too Many Requests. A bucket starts full.
"""

import threading
import time

TOO_MANY_REQUESTS = (429, {"message": "Too Many Requests"})


class TokenBuckets:
    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[tuple, tuple[float, float]] = {}  # key -> (tokens, updated at)

    def take(self, key: tuple, *, rate: float, burst: int) -> bool:
        """Take a token from the bucket `key` (rate tokens a second, at most burst of them);
        False when it is empty: the request is throttled."""
        now = self.clock()
        with self._lock:
            tokens, updated = self._buckets.get(key, (float(burst), now))
            tokens = min(float(burst), tokens + (now - updated) * max(rate, 0.0))
            allowed = tokens >= 1.0
            self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
            return allowed
