"""Tumbling windows on a stream mapping's lane.

TumblingWindowInSeconds (0-900) groups records into windows aligned to multiples of the
window since the epoch, by arrival time, and no batch spans two windows. Each invocation gets
`window` {start, end}, the `state` the function returned last in that window (`{}` at first),
`shardId`, `eventSourceARN`, `isFinalInvokeForWindow` and `isWindowTerminatedEarly`; an
answer without a `state` object is a failed invocation (retried as any other). When the
window is over, Lambda invokes once more with no records, `isFinalInvokeForWindow: true` and
the aggregate state, retried until it succeeds, then drops the state. A state over 1 MB ends
the window early: that final invocation has `isWindowTerminatedEarly: true` and the window
goes on with a fresh state. Window time runs on the sandbox's lab clock (clock.py): a record's
arrival is shifted by the clock's offset when its lane first reads it (moments after the
write), and `lab clock --advance` closes an open window at once. With a factor above 1 each
lane keeps its own windows and state (AWS documents the state per shard). A sandbox whose
windows only wait for their end is quiet, as Firehose's buffers are.
"""

from dataclasses import dataclass, field

from .stream_records import THROTTLE_BACKOFF_SECONDS, Part, Record, int_or, retry_delay


@dataclass
class Window:
    """A lane's open tumbling window: its bounds on the lab clock and the state so far."""

    start: float
    end: float
    state: dict = field(default_factory=dict)
    invoked: bool = False  # an invocation with records succeeded in it: it gets a final one
    terminated_early: bool = False  # the state grew past 1 MB



class TumblingWindows:
    """What a shard's poller (stream_poller.ShardPoller) does with windows: which window a
    record falls in, when one is over, and its final invocation."""

    def _window_start(self, esm, record: Record) -> float | None:
        """The start of the window the record belongs to, on the lab clock (None: no
        windows). Its arrival is fixed the first time the lane reads it."""
        seconds = int_or(esm.tumbling_window, 0)
        if seconds <= 0:
            return None
        arrival = self.arrivals.get(record.seq)
        if arrival is None:
            arrival = self.arrivals[record.seq] = (
                record.arrival + self.mappings.offset(self.account_id))
        return arrival // seconds * seconds

    def _window_over(self) -> bool:
        window = self.window
        return bool(window and (window.terminated_early
                                or self.mappings.now(self.account_id) >= window.end))

    def _window_for(self, esm, records: list[Record]) -> Window | None:
        start = self._window_start(esm, records[0])
        if start is None:
            return None
        if self.window is None or self.window.start != start:
            self.window = Window(start, start + int_or(esm.tumbling_window, 0))
        return self.window

    def _close_window(self, esm) -> None:
        """The window is over: its final invocation, with the aggregate state and no
        records, retried until it succeeds (AWS: processing is suspended until then)."""
        window = self.window
        if window.invoked:
            final = Part([], window=window, final=True)
            while not self.stopped:
                if self.live()[0] is not esm:
                    return  # disabled or deleted: the state goes with the poller
                failed, _ = self._invoke(esm, final)
                if failed is None:
                    break
                if failed != "throttled":
                    final.retries += 1
                    self._record_retry(esm, final, bisected=False)
                self.wake.wait(THROTTLE_BACKOFF_SECONDS if failed == "throttled"
                               else retry_delay(final.retries))
            else:
                return
        # Terminated early, the same window goes on with a fresh state.
        self.window = (Window(window.start, window.end) if window.terminated_early
                       and self.mappings.now(self.account_id) < window.end else None)
