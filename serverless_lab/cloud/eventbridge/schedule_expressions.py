"""Schedule expressions as AWS reads them: `cron(...)`, `rate(...)` and (Scheduler only) `at(...)`.

AWS's cron has six fields (minutes, hours, day-of-month, month, day-of-week, year), numbers
days of the week 1-7 from Sunday, needs `?` in exactly one of day-of-month and day-of-week,
and knows `L`, `W` and `#`. That is Quartz's dialect, not Unix cron's (croniter numbers Sunday
0 and ORs the two day fields), so the lab reads it itself. Occurrences are computed in a time
zone: rules always use UTC; Scheduler schedules name theirs. On a daylight-saving change a
local time that does not exist is skipped and one that happens twice fires once, as
EventBridge Scheduler documents.
"""

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

RULE_INVALID = "Parameter ScheduleExpression is not valid."
SCHEDULER_INVALID = "Invalid Schedule Expression {expression}."
MONTHS = {m: i for i, m in enumerate(("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG",
                                      "SEP", "OCT", "NOV", "DEC"), start=1)}
DAYS = {d: i for i, d in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), start=1)}
RATE = re.compile(r"^rate\((?P<value>\d+)\s+(?P<unit>minutes?|hours?|days?)\)$")
AT = re.compile(r"^at\((?P<at>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")
CRON = re.compile(r"^cron\((?P<fields>[^()]*)\)$")
UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


class InvalidExpression(ValueError):
    pass


@dataclass(frozen=True)
class Rate:
    seconds: int


@dataclass(frozen=True)
class At:
    local: datetime  # naive, in the schedule's time zone


@dataclass(frozen=True)
class Cron:
    minutes: frozenset
    hours: frozenset
    months: frozenset
    years: frozenset
    days: str  # the day-of-month field, or "?"
    weekdays: str  # the day-of-week field, or "?"

    def day_matches(self, day: date) -> bool:
        if self.days != "?":
            return day.day in _month_days(self.days, day.year, day.month)
        return _weekday_matches(self.weekdays, day)


def parse(expression: str, *, scheduler: bool = False) -> Rate | At | Cron:
    """The parsed expression, or InvalidExpression. Rules need a singular unit for a value of
    1 (`rate(1 hour)`, `rate(5 hours)`); Scheduler also accepts `at(yyyy-mm-ddThh:mm:ss)`."""
    expression = (expression or "").strip()
    if found := RATE.match(expression):
        value, unit = int(found["value"]), found["unit"]
        if value < 1 or (not scheduler and (value == 1) == unit.endswith("s")):
            raise InvalidExpression(expression)
        return Rate(value * UNIT_SECONDS[unit.rstrip("s")])
    if scheduler and (found := AT.match(expression)):
        try:
            return At(datetime.fromisoformat(found["at"]))
        except ValueError:
            raise InvalidExpression(expression) from None
    if found := CRON.match(expression):
        return _cron(found["fields"].split(), expression)
    raise InvalidExpression(expression)


def time_zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidExpression(name) from None


def _cron(fields: list[str], expression: str) -> Cron:
    if len(fields) != 6:
        raise InvalidExpression(expression)
    minute, hour, days, month, weekdays, year = (f.upper() for f in fields)
    try:
        cron = Cron(minutes=_values(minute, 0, 59), hours=_values(hour, 0, 23),
                    months=_values(month, 1, 12, MONTHS), years=_values(year, 1970, 2199),
                    days=days, weekdays=weekdays)
        if (days == "?") == (weekdays == "?"):
            raise InvalidExpression(expression)
        if days != "?":
            _month_days(days, 2024, 1)  # validates the field
        else:
            _weekday_matches(weekdays, date(2024, 1, 1))
    except (ValueError, KeyError):
        raise InvalidExpression(expression) from None
    return cron


def _number(token: str, names: dict | None) -> int:
    if names and token in names:
        return names[token]
    if not token.isdigit():
        raise ValueError(token)
    return int(token)


def _values(field: str, low: int, high: int, names: dict | None = None) -> frozenset:
    """A field of `,`-separated `*`, `n`, `a-b` (wrapping past the top, as Quartz does) and
    `x/step` items, as the set of values it allows."""
    values = set()
    for item in field.split(","):
        base, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if step_text and (not step_text.isdigit() or step < 1):
            raise ValueError(item)
        if base == "*":
            first, last = low, high
        elif "-" in base:
            first, last = (_number(t, names) for t in base.split("-", 1))
        else:
            first = _number(base, names)
            last = high if step_text else first
        if not (low <= first <= high and low <= last <= high):
            raise ValueError(item)
        span = list(range(first, last + 1)) if first <= last else (
            list(range(first, high + 1)) + list(range(low, last + 1)))
        values.update(span[::step])
    return frozenset(values)


def _month_days(field: str, year: int, month: int) -> set[int]:
    """Day-of-month values for one month: numbers, ranges, steps, `L` (last day), `LW` (last
    weekday) and `nW` (the weekday nearest day n, never leaving the month)."""
    last = calendar.monthrange(year, month)[1]
    days = set()
    for item in field.split(","):
        if item == "L":
            days.add(last)
        elif item == "LW":
            day = last
            while date(year, month, day).weekday() >= 5:
                day -= 1
            days.add(day)
        elif item.endswith("W"):
            days.add(_nearest_weekday(year, month, _number(item[:-1], None), last))
        else:
            days.update(d for d in _values(item, 1, 31) if d <= last)
    return days


def _nearest_weekday(year: int, month: int, day: int, last: int) -> int:
    if not 1 <= day <= 31:
        raise ValueError(day)
    day = min(day, last)
    weekday = date(year, month, day).weekday()  # Monday 0 ... Sunday 6
    if weekday == 5:  # Saturday: Friday, unless that leaves the month
        return day - 1 if day > 1 else day + 2
    if weekday == 6:  # Sunday: Monday, unless that leaves the month
        return day + 1 if day < last else day - 2
    return day


def _aws_weekday(day: date) -> int:
    return (day.weekday() + 1) % 7 + 1  # Sunday 1 ... Saturday 7


def _weekday_matches(field: str, day: date) -> bool:
    """Day-of-week: numbers 1-7 or SUN-SAT, ranges, `L` (Saturday, the week's last day),
    `nL` (the month's last such day) and `n#k` (its k-th such day, one expression only)."""
    weekday = _aws_weekday(day)
    if "#" in field:
        which, _, nth = field.partition("#")
        target, nth = _number(which, DAYS), int(nth)
        if not (1 <= target <= 7 and 1 <= nth <= 5):
            raise ValueError(field)
        return weekday == target and (day.day - 1) // 7 + 1 == nth
    for item in field.split(","):
        if item == "L":
            if weekday == 7:
                return True
        elif item.endswith("L"):
            target = _number(item[:-1], DAYS)
            if not 1 <= target <= 7:
                raise ValueError(item)
            last = calendar.monthrange(day.year, day.month)[1]
            if weekday == target and day.day + 7 > last:
                return True
        elif "/" in item:
            raise ValueError(item)  # not a day-of-week wildcard in AWS's table
        elif weekday in _values(item, 1, 7, DAYS):
            return True
    return False


def occurrences(schedule: Rate | At | Cron, *, after: float, until: float, anchor: float,
                zone: ZoneInfo = UTC, limit: int | None = None) -> list[float]:
    """Epoch seconds of each time the schedule fires in (after, until], in order. A rate
    fires at anchor + k x rate (k >= 1); cron and at() read wall-clock time in `zone`."""
    if isinstance(schedule, Rate):
        first = max(1, int((after - anchor) // schedule.seconds) + 1)
        times, k = [], first
        while (at := anchor + k * schedule.seconds) <= until:
            if at > after:
                times.append(at)
            if limit is not None and len(times) > limit:
                break
            k += 1
        return times
    if isinstance(schedule, At):
        at = _instant(schedule.local, zone)
        return [at] if at is not None and after < at <= until else []
    return _cron_occurrences(schedule, after, until, zone, limit)


def _cron_occurrences(cron: Cron, after: float, until: float, zone, limit) -> list[float]:
    times = []
    day = datetime.fromtimestamp(after, zone).date()
    last_day = datetime.fromtimestamp(until, zone).date()
    while day <= last_day:
        if day.year in cron.years and day.month in cron.months and cron.day_matches(day):
            for hour in sorted(cron.hours):
                for minute in sorted(cron.minutes):
                    at = _instant(datetime(day.year, day.month, day.day, hour, minute), zone)
                    if at is not None and after < at <= until:
                        times.append(at)
                        if limit is not None and len(times) > limit:
                            return times
        day += timedelta(days=1)
    return times


def _instant(local: datetime, zone) -> float | None:
    """Epoch seconds of a wall-clock time in zone; None when the clocks skip it. A time that
    happens twice (clocks going back) is its first instance."""
    aware = local.replace(tzinfo=zone, fold=0)
    back = aware.astimezone(UTC).astimezone(zone)
    if back.replace(tzinfo=None) != local:
        return None
    return aware.timestamp()


def iso(epoch: float) -> str:
    """AWS's event time: `2015-10-08T16:53:06Z`."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
