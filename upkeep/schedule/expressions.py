"""Calendar expressions: systemd ``OnCalendar=`` and 5-field cron, written and read back.

We write only a small subset of each, and read back exactly that subset, so a
test (or the CLI, for "next run") can check that a written expression fires
when the schedule says, without systemd-analyze.

    >>> from upkeep.schedule.model import Every, Weekly
    >>> oncalendar(Weekly((1,), 6, 0), "Europe/Warsaw")
    'Tue *-*-* 06:00:00 Europe/Warsaw'
    >>> oncalendar(Every(5), "Europe/Warsaw")
    '*-*-* *:00/5:00'
    >>> cron_fields(Weekly((0, 1, 2, 3, 4), 5, 30))
    '30 5 * * 1-5'
    >>> spec = parse_oncalendar("Mon..Fri *-*-* 05:30:00 Europe/Warsaw")
    >>> import datetime as dt, zoneinfo
    >>> spec.matches(dt.datetime(2025, 7, 4, 5, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Warsaw")))
    True
    >>> parse_cron("30 5 * * 1-5").next_after(dt.datetime(2025, 7, 4, 6, 0, tzinfo=dt.UTC))
    datetime.datetime(2025, 7, 7, 5, 30, tzinfo=zoneinfo.ZoneInfo(key='UTC'))
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from dataclasses import dataclass

from upkeep.schedule.model import DAY_NAMES, EVERY_DAY, Every, Weekly, runs

_ALL_HOURS = frozenset(range(24))
_ALL_MINUTES = frozenset(range(60))


@dataclass(frozen=True)
class Calendar:
    """When an expression fires: weekdays (0 = Monday), hours and minutes, in ``zone``."""

    days: frozenset[int]
    hours: frozenset[int]
    minutes: frozenset[int]
    zone: str

    def matches(self, moment: dt.datetime) -> bool:
        """Whether the expression fires at ``moment`` (an aware datetime, whole minute)."""
        local = moment.astimezone(zoneinfo.ZoneInfo(self.zone))
        return (
            local.second == 0
            and local.weekday() in self.days
            and local.hour in self.hours
            and local.minute in self.minutes
        )

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        """The first firing strictly after ``moment``, in the expression's zone."""
        probe = moment.astimezone(dt.UTC).replace(second=0, microsecond=0)
        # Step through UTC minutes: wall-clock steps would skip or repeat at DST changes.
        for _ in range(8 * 24 * 60):
            probe += dt.timedelta(minutes=1)
            if self.matches(probe):
                return probe.astimezone(zoneinfo.ZoneInfo(self.zone))
        raise ValueError("this calendar never fires")


def oncalendar(when: Weekly | Every, zone: str) -> str:
    """The ``OnCalendar=`` value: weekly times carry their zone, intervals need none."""
    if isinstance(when, Every):
        if when.minutes == 60:
            return "*-*-* *:00:00"
        return f"*-*-* *:00/{when.minutes}:00"
    days = "" if when.daily else when.days_label() + " "
    return f"{days}*-*-* {when.hour:02d}:{when.minute:02d}:00 {zone}"


def cron_fields(when: Weekly | Every) -> str:
    """The five cron fields (minute hour day-of-month month day-of-week, Sunday = 0)."""
    if isinstance(when, Every):
        return "0 * * * *" if when.minutes == 60 else f"*/{when.minutes} * * * *"
    if when.daily:
        dow = "*"
    else:
        numbers = tuple(sorted((day + 1) % 7 for day in when.days))
        dow = ",".join(
            str(first) if first == last else f"{first}-{last}" for first, last in runs(numbers)
        )
    return f"{when.minute} {when.hour} * * {dow}"


# ---- reading back: exactly the subset written above --------------------------------

_ONCALENDAR = re.compile(
    r"(?:(?P<days>[A-Za-z.,]+) )?\*-\*-\* (?P<hour>\*|[0-9]{2}):(?P<minute>[0-9]{2}(?:/[0-9]+)?)"
    r":00(?: (?P<zone>\S+))?"
)


def parse_oncalendar(text: str) -> Calendar:
    """An ``OnCalendar=`` value of the subset we write, or ValueError saying what is off."""
    match = _ONCALENDAR.fullmatch(text)
    if not match:
        raise ValueError(f"{text!r}: not 'DAYS *-*-* HH:MM:00 ZONE' or '*-*-* *:MM/N:00'")
    days = frozenset(EVERY_DAY)
    if match["days"]:
        days = frozenset(_systemd_days(match["days"]))
    hours = _ALL_HOURS if match["hour"] == "*" else frozenset({_bounded(match["hour"], 23)})
    start, _, step = match["minute"].partition("/")
    if step:
        if int(step) < 1:
            raise ValueError(f"{text!r}: a repetition of 0 minutes")
        minutes = frozenset(range(_bounded(start, 59), 60, int(step)))
    else:
        minutes = frozenset({_bounded(start, 59)})
    zone = match["zone"] or "UTC"  # systemd reads no zone as the machine's; we always write one
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{text!r}: unknown time zone {zone!r}") from None
    return Calendar(days, hours, minutes, zone)


def parse_cron(text: str, zone: str = "UTC") -> Calendar:
    """Five cron fields of the subset we write (day of month and month ``*``)."""
    fields = text.split()
    if len(fields) != 5:
        raise ValueError(f"{text!r}: expected 5 fields, got {len(fields)}")
    minute, hour, dom, month, dow = fields
    if dom != "*" or month != "*":
        raise ValueError(f"{text!r}: day of month and month must be '*' here")
    days = frozenset((number - 1) % 7 for number in _cron_field(dow, 0, 7, text))
    return Calendar(
        days,
        frozenset(_cron_field(hour, 0, 23, text)),
        frozenset(_cron_field(minute, 0, 59, text)),
        zone,
    )


def _systemd_days(text: str) -> set[int]:
    days: set[int] = set()
    for part in text.split(","):
        first, _, last = part.partition("..")
        if first not in DAY_NAMES or (last and last not in DAY_NAMES):
            raise ValueError(f"{part!r}: not a day or a day range like Mon..Fri")
        start, end = DAY_NAMES.index(first), DAY_NAMES.index(last or first)
        if end < start:
            raise ValueError(f"{part!r}: the range runs backwards")
        days.update(range(start, end + 1))
    return days


def _cron_field(field: str, low: int, high: int, text: str) -> set[int]:
    values: set[int] = set()
    for part in field.split(","):
        if part == "*":
            values.update(range(low, high + 1))
        elif part.startswith("*/"):
            values.update(range(low, high + 1, _bounded(part[2:], high, minimum=1)))
        elif "-" in part:
            first, _, last = part.partition("-")
            start, end = _bounded(first, high, low), _bounded(last, high, low)
            if end < start:
                raise ValueError(f"{text!r}: the range {part!r} runs backwards")
            values.update(range(start, end + 1))
        else:
            values.add(_bounded(part, high, low))
    return values


def _bounded(word: str, high: int, minimum: int = 0) -> int:
    if not word.isdigit() or not minimum <= int(word) <= high:
        raise ValueError(f"{word!r}: expected a number from {minimum} to {high}")
    return int(word)
