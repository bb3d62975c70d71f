"""The lab clock: each sandbox's own time, for the schedules that fire in it.

A sandbox's time is real time plus an offset. It runs in real time (a ticker fires what falls
due every second) and a learner can fast-forward it: `advance` moves one sandbox's time ahead
and fires every occurrence in the skipped window, in order, as if that time had passed. Other
sandboxes keep their own time. Resetting a sandbox puts its clock back to real time.
"""

import re
import threading
import time

DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(w|d|h|m|s)")
UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}
MAX_ADVANCE_SECONDS = 400 * 86400
BAD_DURATION = ("advance must be a duration such as 90s, 15m, 24h, 3d or 1h30m (at most 400 "
                "days), got {text!r}")
TICK_SECONDS = 1.0


class ClockError(ValueError):
    pass


def duration_seconds(text) -> float:
    """Seconds in `24h`, `1h30m`, `3d`, `90s`, `2w`, or a plain number of seconds."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        seconds = float(text)
    else:
        cleaned = str(text or "").strip().lower()
        parts = DURATION.findall(cleaned)
        if cleaned.replace(".", "", 1).isdigit():
            seconds = float(cleaned)
        elif parts and DURATION.sub("", cleaned).strip() == "":
            seconds = sum(float(n) * UNIT_SECONDS[u] for n, u in parts)
        else:
            raise ClockError(BAD_DURATION.format(text=text))
    if not 0 < seconds <= MAX_ADVANCE_SECONDS:
        raise ClockError(BAD_DURATION.format(text=text))
    return seconds


class LabClock:
    """Per-account time. `on_tick` (set by whoever owns the schedules) runs every second."""

    def __init__(self, *, on_tick=None, tick_seconds: float = TICK_SECONDS):
        self._offsets: dict[str, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None
        self.on_tick = on_tick
        self.tick_seconds = tick_seconds
        # (account_id) -> None, told after an account's clock moves (Firehose's buffers).
        self.move_listeners: list = []
        # (account_id, seconds) -> None, told as a fast-forward skips the account's time, gap by
        # gap between the firings it makes (the runtime ages idle environments through them).
        self.skip_listeners: list = []

    def now(self, account_id: str) -> float:
        with self._lock:
            return time.time() + self._offsets.get(account_id, 0.0)

    def offset(self, account_id: str) -> float:
        with self._lock:
            return self._offsets.get(account_id, 0.0)

    def move(self, account_id: str, seconds: float) -> float:
        """Put the account's time `seconds` ahead; its new time."""
        with self._lock:
            self._offsets[account_id] = self._offsets.get(account_id, 0.0) + seconds
            now = time.time() + self._offsets[account_id]
        for listener in list(self.move_listeners):
            listener(account_id)
        return now

    def skipped(self, account_id: str, seconds: float) -> None:
        """`seconds` of the account's time went by at once (part of a fast-forward)."""
        for listener in list(self.skip_listeners):
            listener(account_id, seconds)

    def forget(self, account_id: str) -> None:
        with self._lock:
            self._offsets.pop(account_id, None)

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="lab-clock", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.tick_seconds):
            if self.on_tick:
                try:
                    self.on_tick()
                except Exception:  # noqa: BLE001 - one bad schedule must not stop the clock
                    import traceback

                    traceback.print_exc()
