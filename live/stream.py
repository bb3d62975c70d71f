"""One event stream per live quiz, fanned out to everyone watching it.

Each server process keeps one watcher per session (per event loop), started by the first
stream that asks for it and stopped with the last: it reads the session's row (its version,
phase, question, and how many have answered that question) every POLL_SECONDS and wakes the
streams when something changed. Processes share nothing but the database, so a change made by
any process reaches every phone within about POLL_SECONDS; a phone then asks for its own
screen (its rank is its own), which is why the events carry only numbers.
"""

import asyncio
import contextvars
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass

from django.db import DatabaseError, close_old_connections, connections
from django.db.models import Count, F, Q

from .models import LiveSession

POLL_SECONDS = 0.25
KEEPALIVE_SECONDS = 15.0


@dataclass(frozen=True)
class Snapshot:
    version: int
    phase: str
    index: int
    answered: int


def snapshot_read(session_id: int) -> Snapshot | None:
    close_old_connections()  # a long-lived thread: drop a connection the database closed
    row = (LiveSession.objects.filter(pk=session_id)
           .annotate(answered=Count("answers", filter=Q(answers__index=F("index"))))
           .values_list("version", "phase", "index", "answered").first())
    return Snapshot(*row) if row else None


class _Watch:
    def __init__(self, session_id: int):
        self.session_id = session_id
        self.snapshot: Snapshot | None = None
        self.read = False
        self.changed = asyncio.Event()
        self.subscribers = 0
        self.task: asyncio.Task | None = None
        # A thread (so one database connection) of its own: this outlives the request that
        # started it, and that request's thread with it.
        self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-watch")

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                snapshot = await loop.run_in_executor(self.thread, snapshot_read,
                                                      self.session_id)
            except DatabaseError:  # the database away for a moment: keep the last, retry
                snapshot = self.snapshot
            if snapshot != self.snapshot or not self.read:
                self.snapshot, self.read = snapshot, True
                woken, self.changed = self.changed, asyncio.Event()
                woken.set()
            await asyncio.sleep(POLL_SECONDS)


_watches: dict[tuple[int, int], _Watch] = {}


@asynccontextmanager
async def watching(session_id: int) -> AsyncIterator[_Watch]:
    key = (id(asyncio.get_running_loop()), session_id)
    watch = _watches.get(key)
    if watch is None:
        watch = _watches[key] = _Watch(session_id)
        # A context of its own: the request's (and its thread executor) ends before this.
        watch.task = asyncio.create_task(watch.run(), context=contextvars.Context())
    watch.subscribers += 1
    try:
        yield watch
    finally:
        watch.subscribers -= 1
        if watch.subscribers == 0:
            watch.task.cancel()
            _watches.pop(key, None)
            watch.thread.submit(connections.close_all)  # its connection, in its thread
            watch.thread.shutdown(wait=False)


async def session_events(session_id: int, *, staff: bool) -> AsyncIterator[str]:
    """Server-sent events: `phase` (data: the version) on every change of phase or join,
    and for staff `answers` (data: how many have answered the question on show). Ends with
    the session."""
    yield "retry: 2000\n\n"
    async with watching(session_id) as watch:
        sent: Snapshot | None = None
        while True:
            woken = watch.changed
            snapshot = watch.snapshot
            if watch.read and snapshot is None:
                return
            if snapshot is not None and snapshot != sent:
                if sent is None or snapshot.version != sent.version:
                    yield f"event: phase\ndata: {snapshot.version}\n\n"
                if staff and (sent is None or snapshot.answered != sent.answered
                              or snapshot.index != sent.index):
                    yield f"event: answers\ndata: {snapshot.answered}\n\n"
                sent = snapshot
                if snapshot.phase == LiveSession.ENDED:
                    return
            try:
                await asyncio.wait_for(woken.wait(), KEEPALIVE_SECONDS)
            except TimeoutError:
                yield ": keep-alive\n\n"
