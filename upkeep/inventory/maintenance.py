"""Maintenance windows: when results are kept but open no incident, alert nobody, cost no SLA.

A window is one-off (``start``/``end``) or recurring (``every``/``from``/``to``),
in local time of an IANA zone, for some or all environments. Local times are
turned into UTC per day, so a window keeps its wall-clock times across DST:
on the night clocks skip an hour a 02:00-04:00 window lasts one real hour
(02:00-03:00 does not exist), on the night they repeat one it lasts three.
A start in the skipped hour begins at the jump; a start in the repeated hour
begins at its first occurrence, an end there ends at its second.

    >>> window = MaintenanceWindow.model_validate(
    ...     {"every": "sun", "from": "02:00", "to": "04:00", "timezone": "Europe/Warsaw"})
    >>> night = lambda day: dt.datetime(2026, 3, day, tzinfo=dt.UTC)
    >>> [(a.strftime("%d %H:%M"), b.strftime("%H:%M")) for a, b in window.intervals(night(20), night(31))]
    [('22 01:00', '03:00'), ('29 01:00', '02:00')]
    >>> window.active(dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC))
    True
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from typing import Annotated, Any, Literal, Protocol

from pydantic import BeforeValidator, Field, model_validator

from upkeep.inventory.base import EnvironmentName, Model

Interval = tuple[dt.datetime, dt.datetime]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")
_FULL = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _timezone(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        close = difflib.get_close_matches(value, sorted(_zone_names()), n=1, cutoff=0.7)
        hint = f"did you mean {close[0]!r}?" if close else "e.g. Europe/Warsaw or UTC"
        raise ValueError(f"{value[:60]!r} is not an IANA time zone ({hint})") from None
    return value


def _local_datetime(value: Any) -> Any:
    """``2026-11-28T22:00`` (or a YAML timestamp without offset) as a naive local time."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            raise ValueError(
                "give the local time without an offset (the timezone key says where it is)"
            )
        return value
    if isinstance(value, dt.date):
        raise ValueError(f"{value.isoformat()} has no time of day (write {value}T00:00)")
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(
                f"{value[:60]!r} is not a local date and time (write e.g. 2026-11-28T22:00)"
            ) from None
        return _local_datetime(parsed)
    raise ValueError(f"expected a date and time such as 2026-11-28T22:00, got {_what(value)}")


def _local_time(value: Any) -> Any:
    """``"02:00"`` as a time of day."""
    if isinstance(value, dt.time):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 22:00 as the number 1320 (base 60).
        raise ValueError('write the time in quotes, e.g. "22:00" (YAML reads 22:00 as a number)')
    if isinstance(value, str):
        match = _CLOCK.fullmatch(value.strip())
        if match is None or int(match[1]) > 23 or int(match[2]) > 59:
            raise ValueError(f'{value[:60]!r} is not a time of day (write e.g. "02:00")')
        return dt.time(int(match[1]), int(match[2]))
    raise ValueError(f'expected a time of day such as "02:00", got {_what(value)}')


def _days(value: Any) -> Any:
    """``sun``, ``[sat, sun]`` or ``day`` (every day) as a tuple of day abbreviations."""
    if value in ("day", "daily"):
        return DAYS
    given = [value] if isinstance(value, str) else value
    if not isinstance(given, list | tuple) or not given:
        raise ValueError(
            f"expected a day (mon ... sun), a list of days or 'day', got {_what(value)}"
        )
    days = []
    for item in given:
        name = item.lower() if isinstance(item, str) else item
        if name in _FULL:
            name = DAYS[_FULL.index(name)]
        if name not in DAYS:
            close = difflib.get_close_matches(str(item), [*DAYS, *_FULL, "day"], n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else "use mon ... sun, or day"
            raise ValueError(f"{str(item)[:60]!r} is not a day of the week ({hint})")
        if name in days:
            raise ValueError(f"{name} is listed twice (keep one)")
        days.append(name)
    return tuple(days)


def _what(value: Any) -> str:
    if value is None:
        return "an empty value"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"{type(value).__name__} {str(value)[:60]!r}"


TimeZone = Annotated[str, BeforeValidator(_timezone)]
LocalDateTime = Annotated[dt.datetime, BeforeValidator(_local_datetime)]
LocalTime = Annotated[dt.time, BeforeValidator(_local_time)]
Days = Annotated[
    tuple[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], ...], BeforeValidator(_days)
]


class MaintenanceWindow(Model):
    """One window, one-off or recurring, for ``environments`` (all when empty).

    >>> MaintenanceWindow.model_validate({"start": "2026-11-28T22:00", "end": "2026-11-29T01:30",
    ...     "timezone": "Europe/Warsaw"}).intervals(dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
    ...                                            dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    [(datetime.datetime(2026, 11, 28, 21, 0, tzinfo=datetime.timezone.utc), datetime.datetime(2026, 11, 29, 0, 30, tzinfo=datetime.timezone.utc))]
    """

    start: LocalDateTime | None = None
    end: LocalDateTime | None = None
    every: Days | None = None
    from_: LocalTime | None = Field(default=None, alias="from")
    to: LocalTime | None = None  # earlier than from: the window ends the next day
    timezone: TimeZone
    environments: tuple[EnvironmentName, ...] = ()
    reason: Annotated[str, Field(max_length=200)] = ""

    @model_validator(mode="after")
    def _one_kind(self) -> MaintenanceWindow:
        one_off = [k for k in ("start", "end") if getattr(self, k) is not None]
        recurring = [
            k
            for k, v in (("every", self.every), ("from", self.from_), ("to", self.to))
            if v is not None
        ]
        if one_off and recurring:
            raise ValueError(
                f"mixes a one-off window ({', '.join(one_off)}) with a recurring one "
                f"({', '.join(recurring)}); split it into two windows"
            )
        if not one_off and not recurring:
            raise ValueError("no times given (give start and end, or every, from and to)")
        if one_off:
            missing = {"start", "end"} - set(one_off)
            if missing:
                raise ValueError(f"a one-off window needs start and end (add {missing.pop()})")
            first, last = self.utc_interval()
            if last <= first:
                raise ValueError("end is not after start (check the dates)")
        else:
            missing_keys = [k for k in ("every", "from", "to") if k not in recurring]
            if missing_keys:
                raise ValueError(
                    f"a recurring window needs every, from and to (add {', '.join(missing_keys)})"
                )
            if self.from_ == self.to:
                raise ValueError("from and to are the same time (a window needs a length)")
        if len(set(self.environments)) != len(self.environments):
            raise ValueError("an environment is listed twice in environments (keep one)")
        return self

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def recurring(self) -> bool:
        return self.every is not None

    def applies_to(self, environment: str) -> bool:
        return not self.environments or environment in self.environments

    def utc_interval(self) -> Interval:
        """A one-off window's [start, end) in UTC."""
        if self.start is None or self.end is None:
            raise ValueError("a recurring window has no single interval (use intervals())")
        return _to_utc(self.start, self.zone, earliest=True), _to_utc(
            self.end, self.zone, earliest=False
        )

    def intervals(self, start: dt.datetime, end: dt.datetime) -> list[Interval]:
        """The window's times within [start, end), in UTC, clipped and in order."""
        _aware(start, "start")
        _aware(end, "end")
        if self.every is None:
            candidates = [self.utc_interval()]
        else:
            candidates = list(self._occurrences(start, end))
        clipped = [(max(a, start), min(b, end)) for a, b in candidates]
        return [(a.astimezone(dt.UTC), b.astimezone(dt.UTC)) for a, b in merge(clipped)]

    def active(self, at: dt.datetime) -> bool:
        """Whether ``at`` falls in the window."""
        _aware(at, "at")
        return bool(self.intervals(at, at + dt.timedelta(microseconds=1)))

    def _occurrences(self, start: dt.datetime, end: dt.datetime) -> Iterable[Interval]:
        assert self.every is not None and self.from_ is not None and self.to is not None
        zone = self.zone
        # A window may run past midnight, so the day before the period counts too.
        day = start.astimezone(zone).date() - dt.timedelta(days=1)
        last = end.astimezone(zone).date()
        overnight = self.to <= self.from_
        while day <= last:
            if DAYS[day.weekday()] in self.every:
                opens = dt.datetime.combine(day, self.from_)
                closes = dt.datetime.combine(
                    day + dt.timedelta(days=1) if overnight else day, self.to
                )
                yield _to_utc(opens, zone, earliest=True), _to_utc(closes, zone, earliest=False)
            day += dt.timedelta(days=1)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Intervals sorted, overlapping or touching ones joined, empty ones dropped."""
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _aware(value: dt.datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime (with a time zone), got {value}")


def _to_utc(local: dt.datetime, zone: zoneinfo.ZoneInfo, *, earliest: bool) -> dt.datetime:
    """A naive local time in ``zone`` as UTC, resolving the DST edge cases.

    A time that happens twice (clocks going back) is its first occurrence when
    ``earliest`` and its second otherwise; a time that never happens (clocks
    going forward) is the moment of the jump.
    """
    candidates = []
    for fold in (0, 1):
        moment = local.replace(tzinfo=zone, fold=fold).astimezone(dt.UTC)
        if moment.astimezone(zone).replace(tzinfo=None) == local:
            candidates.append(moment)
    if candidates:
        return min(candidates) if earliest else max(candidates)
    # In the gap: the two folds read it with the offsets before and after the
    # jump, which lies between the two instants; found by halving.
    low, high = sorted(local.replace(tzinfo=zone, fold=f).astimezone(dt.UTC) for f in (0, 1))
    before = low.astimezone(zone).utcoffset()
    while high - low > dt.timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == before:
            low = middle
        else:
            high = middle
    return high.replace(microsecond=0) if high.microsecond else high


def in_maintenance(windows: Sequence[MaintenanceWindow], environment: str, at: dt.datetime) -> bool:
    """Whether any window for ``environment`` is active at ``at``."""
    return any(w.applies_to(environment) and w.active(at) for w in windows)


def intervals(
    windows: Sequence[MaintenanceWindow], environment: str, start: dt.datetime, end: dt.datetime
) -> list[Interval]:
    """All windows' times for ``environment`` within [start, end), in UTC, merged."""
    return merge(
        interval
        for window in windows
        if window.applies_to(environment)
        for interval in window.intervals(start, end)
    )


class Stamped(Protocol):
    """Anything that happened in an environment at a moment (a check's result, say)."""

    @property
    def environment(self) -> str: ...

    @property
    def at(self) -> dt.datetime: ...


def checker(windows: Sequence[MaintenanceWindow]) -> Callable[[Stamped], bool]:
    """``in_maintenance`` for ``History.record``: is this result in one of the windows?"""

    def check(result: Stamped) -> bool:
        return in_maintenance(windows, result.environment, result.at)

    return check
