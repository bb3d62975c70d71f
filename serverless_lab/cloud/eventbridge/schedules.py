"""The schedules of every sandbox, fired by the lab clock.

Two kinds, as on AWS: EventBridge rules with a `ScheduleExpression` (UTC; their targets get the
"Scheduled Event" document) and EventBridge Scheduler schedules (a time zone, start and end
dates, one-time `at()` schedules; their target gets its `Input`). A rule's rate starts when
the rule is created and first fires one period later; a Scheduler rate fires at its StartDate,
or at once when it has none. moto keeps the definitions; this registry keeps, per schedule,
the instant it was anchored at and how far it has fired, and reads moto again at each firing,
so a deleted or disabled rule stops firing. Flexible time windows are not modelled: every
schedule fires at its exact minute.
"""

import threading
import time
import uuid
from concurrent.futures import wait
from dataclasses import dataclass, replace

from serverless_lab.cloud.clock import ClockError

from . import target_input as event_input
from .schedule_expressions import At, Rate, iso, occurrences, parse, time_zone

MAX_FIRINGS_PER_ADVANCE = 10000
TOO_MANY = ("advancing {seconds:.0f} s would fire {count}+ schedule occurrences in this "
            "sandbox; the lab fires at most {limit} per advance: advance less at a time")
SETTLE_SECONDS = 30.0  # how long one firing's invocations may take before the next
MAX_CATCH_UP_PER_TICK = 5  # after a pause (a laptop asleep) real time fires only the latest


@dataclass
class Entry:
    account_id: str
    region: str
    kind: str  # "rule" or "schedule"
    name: str  # the rule's name, or a schedule's "group/name"
    expression: str
    zone: str
    anchor: float
    fired_until: float
    start: float | None = None
    end: float | None = None

    def due(self, until: float, limit: int | None = None) -> list[float]:
        schedule = parse(self.expression, scheduler=self.kind == "schedule")
        times = occurrences(schedule, after=self.fired_until, until=until, anchor=self.anchor,
                            zone=time_zone(self.zone), limit=limit)
        return [t for t in times if (self.start is None or t >= self.start)
                and (self.end is None or t <= self.end)]


class Schedules:
    def __init__(self, *, plane, clock):
        self.plane = plane
        self.clock = clock
        self._entries: dict[str, dict[tuple, Entry]] = {}
        self._lock = threading.Lock()
        self._account_locks: dict[str, threading.Lock] = {}

    # -- the registry, kept in step with moto by the API hooks -------------------------------

    def _put(self, entry: Entry) -> None:
        key = (entry.region, entry.kind, entry.name)
        with self._lock:
            entries = self._entries.setdefault(entry.account_id, {})
            existing = entries.get(key)
            if existing and (existing.expression, existing.zone, existing.start, existing.end) \
                    == (entry.expression, entry.zone, entry.start, entry.end):
                return  # the same schedule again keeps its rhythm
            entries[key] = entry

    def _drop(self, account_id: str, region: str, kind: str, name: str) -> None:
        with self._lock:
            self._entries.get(account_id, {}).pop((region, kind, name), None)

    def rule_put(self, rule) -> None:
        if not rule.scheduled_expression:
            self._drop(rule.account_id, rule.region_name, "rule", rule.name)
            return
        now = self.clock.now(rule.account_id)
        self._put(Entry(rule.account_id, rule.region_name, "rule", rule.name,
                        rule.scheduled_expression, "UTC", anchor=now, fired_until=now))

    def rule_deleted(self, account_id: str, region: str, name: str) -> None:
        self._drop(account_id, region, "rule", name)

    def schedule_put(self, account_id: str, region: str, schedule) -> None:
        now = self.clock.now(account_id)
        start = float(schedule.start_date) if schedule.start_date else None
        end = float(schedule.end_date) if schedule.end_date else None
        anchor, fired_until = now, now
        parsed = parse(schedule.schedule_expression, scheduler=True)
        if isinstance(parsed, Rate):  # fires at StartDate, or at once, then every period
            anchor = (start if start is not None else now) - parsed.seconds
            fired_until = anchor + parsed.seconds - 0.001
        self._put(Entry(account_id, region, "schedule", f"{schedule.group_name}/{schedule.name}",
                        schedule.schedule_expression, schedule.schedule_expression_timezone,
                        anchor=anchor, fired_until=fired_until, start=start, end=end))

    def schedule_deleted(self, account_id: str, region: str, name: str) -> None:
        self._drop(account_id, region, "schedule", name)

    def forget(self, account_id: str) -> None:
        with self._lock:
            self._entries.pop(account_id, None)

    def _account_lock(self, account_id: str) -> threading.Lock:
        with self._lock:
            return self._account_locks.setdefault(account_id, threading.Lock())

    def _listed(self, account_id: str) -> list[Entry]:
        with self._lock:
            return list(self._entries.get(account_id, {}).values())

    # -- firing ------------------------------------------------------------------------------

    def tick(self) -> None:
        """Real time: fire what fell due in every sandbox not being fast-forwarded."""
        with self._lock:
            accounts = list(self._entries)
        for account_id in accounts:
            lock = self._account_lock(account_id)
            if not lock.acquire(blocking=False):
                continue
            try:
                now = self.clock.now(account_id)
                for entry in self._listed(account_id):
                    for at in entry.due(now)[-MAX_CATCH_UP_PER_TICK:]:
                        if self._fire(entry, at) is None:
                            break
                    entry.fired_until = max(entry.fired_until, now)
            finally:
                lock.release()

    def advance(self, account_id: str, seconds: float) -> dict:
        """Move the sandbox's clock `seconds` ahead, firing every occurrence in the window in
        order; each waits for the one before it to be delivered, as time would."""
        with self._account_lock(account_id):
            start = self.clock.now(account_id)
            end = start + seconds
            plan = sorted(((at, entry) for entry in self._listed(account_id)
                           for at in entry.due(end, limit=MAX_FIRINGS_PER_ADVANCE)),
                          key=lambda pair: pair[0])
            if len(plan) > MAX_FIRINGS_PER_ADVANCE:
                raise ClockError(TOO_MANY.format(seconds=seconds, count=len(plan),
                                                 limit=MAX_FIRINGS_PER_ADVANCE))
            self.clock.move(account_id, seconds)
            fired, settle, previous = [], SETTLE_SECONDS, start
            for at, entry in plan:
                # The time up to this occurrence passes first: idle environments age through it
                # (a nightly job's environment is long reaped by the next night, as on AWS).
                self.clock.skipped(account_id, at - previous)
                previous = at
                futures = self._fire(entry, at)
                entry.fired_until = at
                if futures is None:
                    continue  # disabled, or deleted since the plan was made
                wait(futures)
                settle = self._settle(account_id, settle)
                fired.append({"time": iso(at), "kind": entry.kind, "name": entry.name,
                              "expression": entry.expression, "deliveries": len(futures)})
            for entry in self._listed(account_id):
                entry.fired_until = max(entry.fired_until, end)
            self.clock.skipped(account_id, end - previous)
        return {"account_id": account_id, "from": iso(start), "to": iso(end), "now": end,
                "offset_seconds": self.clock.offset(account_id), "fired": fired}

    def _settle(self, account_id: str, bound: float) -> float:
        """Wait until what the last firing started (the invocations it queued) is done, so the
        next occurrence runs after it, as hours later it would. A sandbox that never quiets
        (a poller with messages) is waited for once, for `bound` seconds, and then no more."""
        deadline = time.monotonic() + bound
        while not self.plane.recorder.quiet(account_id):
            if time.monotonic() > deadline:
                return 0.0
            time.sleep(0.01)
        return bound

    def describe(self, account_id: str) -> dict:
        now = self.clock.now(account_id)
        listed = []
        for entry in sorted(self._listed(account_id), key=lambda e: (e.kind, e.name)):
            ahead = replace(entry, fired_until=max(entry.fired_until, now))
            upcoming = ahead.due(now + 400 * 86400, limit=1)
            listed.append({"kind": entry.kind, "name": entry.name, "expression": entry.expression,
                           "timezone": entry.zone,
                           "next": iso(upcoming[0]) if upcoming else None})
        return {"account_id": account_id, "now": now, "time": iso(now),
                "offset_seconds": self.clock.offset(account_id), "schedules": listed}

    def _fire(self, entry: Entry, at: float) -> list | None:
        """Start the deliveries of one occurrence; None when it does not fire (its rule or
        schedule is disabled or gone)."""
        if entry.kind == "rule":
            return self._fire_rule(entry, at)
        return self._fire_schedule(entry, at)

    def _fire_rule(self, entry: Entry, at: float) -> list | None:
        from moto.events.models import events_backends

        # dict.get: a sandbox reset since must not be brought back by looking at it.
        backend = dict.get(dict.get(events_backends, entry.account_id) or {}, entry.region)
        rule = backend.event_buses["default"].rules.get(entry.name) if backend else None
        if rule is None:
            self._drop(entry.account_id, entry.region, "rule", entry.name)
            return None
        if not rule.state.startswith("ENABLED"):
            return None
        event = {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event",
                 "source": "aws.events", "account": entry.account_id, "time": iso(at),
                 "region": entry.region, "resources": [rule.arn], "detail": {}}
        return self.plane.rule_deliver(rule, event, scheduled_time=iso(at))

    def _fire_schedule(self, entry: Entry, at: float) -> list | None:
        from moto.scheduler.models import scheduler_backends

        backend = dict.get(dict.get(scheduler_backends, entry.account_id) or {}, entry.region)
        group_name, name = entry.name.split("/", 1)
        group = backend.schedule_groups.get(group_name) if backend else None
        schedule = group.schedules.get(name) if group else None
        if schedule is None:
            self._drop(entry.account_id, entry.region, "schedule", entry.name)
            return None
        if schedule.state != "ENABLED":
            return None
        target, execution_id = schedule.target, uuid.uuid4().hex[:16]
        payload = event_input.scheduler_input(target, schedule_arn=schedule.arn,
                                              scheduled_time=iso(at),
                                              execution_id=execution_id)
        fields = {"source": "aws:scheduler", "schedule": entry.name, "scheduled_time": iso(at)}
        # Its RetryPolicy and DeadLetterConfig apply as for a rule's target (the DLQ message
        # carries the schedule's attributes instead of the rule's).
        futures = [self.plane.submit(entry.account_id, entry.region, target, payload, fields,
                                     schedule={"arn": schedule.arn, "scheduled_time": iso(at),
                                               "execution_id": execution_id})]
        if isinstance(parse(entry.expression, scheduler=True), At):
            self._drop(entry.account_id, entry.region, "schedule", entry.name)
            if schedule.action_after_completion == "DELETE":
                group.delete_schedule(name)
        return futures
