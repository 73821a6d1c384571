"""Service calendars: when the SLA clock runs, and how much of it ran between two moments.

A calendar is a time zone, a week of opening hours (or none: 24/7), a country's
public holidays and extra closed days. Opening hours are wall-clock times on
local dates, so a 09:00–17:00 day is 8 h even when the clocks change that
night; a 24/7 day is whatever its local midnight to midnight lasts (23 h on
Europe/Warsaw's 2026-03-29, 25 h on 2026-10-25). Work is done on intervals, a
day at a time, never minute by minute: a month is some thirty steps.

    >>> cal = ServiceCalendar("Europe/Warsaw", parse_hours({"mon-fri": "09:00-17:00"}), "PL")
    >>> friday = dt.datetime(2026, 11, 20, 16, 30, tzinfo=cal.zone)
    >>> cal.add_service_time(friday, dt.timedelta(hours=4)).isoformat()
    '2026-11-23T12:30:00+01:00'
    >>> cal.service_time(friday, dt.datetime(2026, 11, 23, 10, tzinfo=cal.zone))
    datetime.timedelta(seconds=5400)
    >>> cal.describe()
    'Mon–Fri 09:00–17:00 (Europe/Warsaw time), closed on public holidays in Poland'
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import holidays as holidays_package

from upkeep.errors import UsageError

DAY = 86_400  # seconds from midnight to midnight on the wall clock
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday() order
_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TITLES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# A calendar with no service time in ten years is broken, not slow: stop looking.
_SEARCH_DAYS = 3660

# One day's opening hours: (start, end) in seconds since local midnight, sorted,
# not touching; end may be 86400 (24:00).
DayHours = tuple[tuple[int, int], ...]
# Monday to Sunday.
Week = tuple[DayHours, DayHours, DayHours, DayHours, DayHours, DayHours, DayHours]
Interval = tuple[dt.datetime, dt.datetime]

_TIME = re.compile(r"(\d{1,2}):(\d{2})")


# ---- parsing (ValueError, so the inventory model reports it with its line) ----


def parse_timezone(name: Any) -> ZoneInfo:
    """An IANA time zone by name.

    >>> parse_timezone("Europe/Warsaw").key
    'Europe/Warsaw'
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"expected a time zone name such as Europe/Warsaw, got {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        close = difflib.get_close_matches(name, _zone_names(), n=1, cutoff=0.7)
        hint = f"did you mean {close[0]!r}?" if close else "use an IANA name such as Europe/Warsaw"
        raise ValueError(f"unknown time zone {name[:60]!r} ({hint})") from None


@cache
def _zone_names() -> list[str]:
    return sorted(available_timezones())


def parse_hours(spec: Mapping[str, Any]) -> Week:
    """Opening hours from their YAML form: ``{"mon-fri": "09:00-17:00", "sat": [...]}``.

    Keys are a day (``mon`` or ``monday``) or a run of days Monday first
    (``mon-fri``); values one ``HH:MM-HH:MM`` range or a list of them. A day not
    named is closed. ``24:00`` ends a range at midnight.

    >>> parse_hours({"mon-tue": "09:00-17:00", "sat": ["08:00-12:00", "13:00-14:00"]})[5]
    ((28800, 43200), (46800, 50400))
    """
    if not isinstance(spec, Mapping):
        raise ValueError(f"expected a mapping of days to hours, got {type(spec).__name__}")
    if not spec:
        raise ValueError('no opening hours given (omit "hours" for a 24/7 calendar)')
    week: list[DayHours | None] = [None] * 7
    named_by: dict[int, str] = {}
    for key, value in spec.items():
        days = _parse_days(key)
        ranges = _parse_ranges(key, value)
        for day in days:
            if day in named_by:
                raise ValueError(
                    f"{DAY_NAMES[day]} is given twice (in {named_by[day]!r} and {key!r}; "
                    "list each day once, with all its ranges)"
                )
            named_by[day] = str(key)
            week[day] = ranges
    return (
        week[0] or (),
        week[1] or (),
        week[2] or (),
        week[3] or (),
        week[4] or (),
        week[5] or (),
        week[6] or (),
    )


def format_hours(week: Week) -> dict[str, str | list[str]]:
    """The inverse of parse_hours, days with the same hours run together.

    >>> format_hours(parse_hours({"mon": "09:00-17:00", "tue-fri": "09:00-17:00"}))
    {'mon-fri': '09:00-17:00'}
    """
    spec: dict[str, str | list[str]] = {}
    for first, last, hours in _runs(week):
        key = DAY_NAMES[first] if first == last else f"{DAY_NAMES[first]}-{DAY_NAMES[last]}"
        ranges = [f"{_clock_text(a)}-{_clock_text(b)}" for a, b in hours]
        spec[key] = ranges[0] if len(ranges) == 1 else ranges
    return spec


def _runs(week: Week) -> Iterator[tuple[int, int, DayHours]]:
    """(first day, last day, hours) for each run of open days with the same hours."""
    day = 0
    while day < 7:
        last = day
        while last + 1 < 7 and week[last + 1] == week[day]:
            last += 1
        if week[day]:
            yield day, last, week[day]
        day = last + 1


def _parse_days(key: Any) -> list[int]:
    if not isinstance(key, str):
        raise ValueError(f"expected a day name such as mon or mon-fri, got {key!r}")
    first, sep, last = key.strip().lower().partition("-")
    start = _day_number(first, key)
    end = _day_number(last, key) if sep else start
    if end < start:
        raise ValueError(
            f"{key!r} runs backwards (name the days Monday first, e.g. mon-fri or sat-sun; "
            "a run across Sunday needs two keys)"
        )
    return list(range(start, end + 1))


def _day_number(name: str, key: str) -> int:
    for names in (DAY_NAMES, _FULL_NAMES):
        if name in names:
            return names.index(name)
    close = difflib.get_close_matches(name, DAY_NAMES, n=1, cutoff=0.6) or [
        DAY_NAMES[_FULL_NAMES.index(m)]
        for m in difflib.get_close_matches(name, _FULL_NAMES, n=1, cutoff=0.6)
    ]
    hint = f"did you mean {close[0]!r}?" if close else "use mon, tue, wed, thu, fri, sat, sun"
    raise ValueError(f"unknown day {name[:20]!r} in {key[:40]!r} ({hint})")


def _parse_ranges(key: str, value: Any) -> DayHours:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, Sequence) or isinstance(items, str) or not items:
        raise ValueError(f'{key}: expected a range such as "09:00-17:00" or a list of them')
    ranges = sorted(_parse_range(key, item) for item in items)
    for (_, end), (start, _) in itertools.pairwise(ranges):
        if start < end:
            raise ValueError(f"{key}: the ranges {_clock_range(ranges)} overlap (merge them)")
    merged: list[tuple[int, int]] = []
    for start, end in ranges:
        if merged and merged[-1][1] == start:  # 09:00-12:00 and 12:00-17:00 are one range
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return tuple(merged)


def _parse_range(key: str, item: Any) -> tuple[int, int]:
    text = item.strip() if isinstance(item, str) else ""
    first, _, last = text.partition("-")
    start, end = _clock(first), _clock(last)
    if start is None or end is None or start == DAY:
        raise ValueError(f'{key}: {item!r} is not a range such as "09:00-17:00" (HH:MM-HH:MM)')
    if end <= start:
        raise ValueError(
            f"{key}: {text!r} ends before it starts (a range runs within one day; "
            'for overnight service give the evening and the morning: "22:00-24:00", "00:00-06:00")'
        )
    return start, end


def _clock(text: str) -> int | None:
    """Seconds since midnight for ``HH:MM``, 00:00 to 24:00."""
    match = _TIME.fullmatch(text.strip())
    if match is None:
        return None
    hours, minutes = int(match[1]), int(match[2])
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        return None
    return hours * 3600 + minutes * 60


def _clock_text(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _clock_range(ranges: Sequence[tuple[int, int]]) -> str:
    return ", ".join(f"{_clock_text(a)}–{_clock_text(b)}" for a, b in ranges)


def holiday_lookup(code: Any) -> holidays_package.HolidayBase:
    """Public holidays of a country (``PL``) or a subdivision (``DE-BY``), from ``holidays``.

    >>> dt.date(2026, 11, 11) in holiday_lookup("PL")
    True
    """
    if not isinstance(code, str) or not code:
        raise ValueError(f"expected a country code such as PL, got {code!r}")
    country, _, subdiv = code.strip().upper().partition("-")
    if country not in holidays_package.list_supported_countries():
        raise ValueError(
            f"unknown holidays country {code[:20]!r} (use an ISO 3166 code the holidays "
            "package knows, such as PL or DE-BY)"
        )
    try:
        return holidays_package.country_holidays(country, subdiv=subdiv or None)
    except NotImplementedError:
        raise ValueError(
            f"{country} has no subdivision {subdiv[:20]!r} in the holidays package"
        ) from None


def _country_name(code: str) -> str:
    country, _, subdiv = code.upper().partition("-")
    for entry in holidays_package.registry.COUNTRIES.values():
        if country in entry[1:3]:
            name = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", entry[0])  # UnitedKingdom → United Kingdom
            return f"{name} ({subdiv})" if subdiv else name
    return code


# ---- the calendar ---------------------------------------------------------------


@dataclass(frozen=True)
class ServiceCalendar:
    """When the SLA clock runs: ``week`` None means 24/7 (holidays and closed days still apply).

    Raises UsageError for a bad time zone, week or holidays code.
    """

    timezone: str = "UTC"
    week: Week | None = None
    holidays: str | None = None  # "PL", "DE-BY": that country's public holidays are closed
    closed: Collection[dt.date] = frozenset()  # further closed days
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _holidays: holidays_package.HolidayBase | None = field(
        init=False, repr=False, compare=False, default=None
    )

    def __post_init__(self) -> None:
        try:
            zone = parse_timezone(self.timezone)
            lookup = holiday_lookup(self.holidays) if self.holidays is not None else None
        except ValueError as error:
            raise UsageError(f"service calendar: {error}") from None
        if self.week is not None and (
            len(self.week) != 7 or not any(self.week) or not all(map(_valid_day, self.week))
        ):
            raise UsageError("service calendar: a week is 7 days of sorted (start, end) seconds")
        object.__setattr__(self, "closed", frozenset(self.closed))
        object.__setattr__(self, "_zone", zone)
        object.__setattr__(self, "_holidays", lookup)

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    @property
    def always_open(self) -> bool:
        """24/7 on every day that is not a holiday or closed."""
        return self.week is None or all(day == ((0, DAY),) for day in self.week)

    # ---- days ----

    def closed_reason(self, day: dt.date) -> str | None:
        """Why an otherwise open day is closed: the holiday's name, or "closed"."""
        if self._holidays is not None and day in self._holidays:
            return str(self._holidays.get(day))
        return "closed" if day in self.closed else None

    def regular_hours(self, day: dt.date) -> DayHours:
        """The week's hours for that weekday, holidays and closed days aside."""
        return ((0, DAY),) if self.week is None else self.week[day.weekday()]

    def hours(self, day: dt.date) -> DayHours:
        """The day's opening hours, empty on a closed day."""
        return () if self.closed_reason(day) is not None else self.regular_hours(day)

    def day_bounds(self, day: dt.date) -> Interval:
        """Local midnight to the next local midnight, in UTC."""
        return self._at(day, 0), self._at(day, DAY)

    def intervals(self, day: dt.date) -> list[Interval]:
        """The day's service time as UTC intervals (a range inside a DST gap is empty)."""
        spans = [(self._at(day, start), self._at(day, end)) for start, end in self.hours(day)]
        return [(a, b) for a, b in spans if b > a]

    def _at(self, day: dt.date, seconds: int) -> dt.datetime:
        if seconds >= DAY:
            day, seconds = day + dt.timedelta(days=1), seconds - DAY
        local = dt.datetime.combine(day, dt.time(seconds // 3600, seconds % 3600 // 60))
        return local.replace(tzinfo=self._zone).astimezone(dt.UTC)

    def local_date(self, moment: dt.datetime) -> dt.date:
        return _aware(moment, "a moment").astimezone(self._zone).date()

    # ---- spans ----

    def periods(self, start: dt.datetime, end: dt.datetime) -> Iterator[Interval]:
        """The service intervals between ``start`` and ``end``, clipped, in UTC."""
        start = _aware(start, "start").astimezone(dt.UTC)
        end = _aware(end, "end").astimezone(dt.UTC)
        if end <= start:
            return
        day, last = self.local_date(start), self.local_date(end)
        while day <= last:
            for a, b in self.intervals(day):
                a, b = max(a, start), min(b, end)
                if b > a:
                    yield a, b
            day += dt.timedelta(days=1)

    def service_time(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Service time between two aware moments (zero when ``end`` is not after ``start``)."""
        return sum((b - a for a, b in self.periods(start, end)), dt.timedelta())

    def service_seconds(self, start: dt.datetime, end: dt.datetime) -> float:
        return self.service_time(start, end).total_seconds()

    def add_service_time(self, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
        """When ``duration`` of service time has run after ``start`` (a deadline), local time.

        Outside service hours the clock starts at the next opening; a deadline
        that uses up a day's last minute is that day's closing time, not the
        next opening.
        """
        start = _aware(start, "start").astimezone(dt.UTC)
        if duration < dt.timedelta():
            raise UsageError(f"a negative service time ({duration}) has no deadline")
        if not duration:
            return start.astimezone(self._zone)
        left = duration
        day = self.local_date(start)
        for _ in range(_SEARCH_DAYS):
            for a, b in self.intervals(day):
                if b <= start:
                    continue
                a = max(a, start)
                if left <= b - a:
                    return (a + left).astimezone(self._zone)
                left -= b - a
            day += dt.timedelta(days=1)
        raise UsageError(
            f"service calendar {self.describe()!r} has no service time in the "
            f"{_SEARCH_DAYS} days after {start.isoformat()} (check its hours and closed days)"
        )

    def next_opening(self, moment: dt.datetime) -> dt.datetime:
        """``moment`` itself during service hours, else when service next starts."""
        return self.add_service_time(moment, dt.timedelta(microseconds=1)) - dt.timedelta(
            microseconds=1
        )

    # ---- words ----

    def describe(self) -> str:
        """The calendar in a sentence a client reads."""
        where = f"({self.timezone} time)"
        if self.always_open:
            text = f"24/7 {where}"
        else:
            assert self.week is not None
            text = f"{_describe_week(self.week)} {where}"
        closed = []
        if self.holidays:
            closed.append(f"public holidays in {_country_name(self.holidays)}")
        if self.closed:
            closed.append(", ".join(day.isoformat() for day in sorted(self.closed)))
        return f"{text}, closed on {' and '.join(closed)}" if closed else text


def _valid_day(hours: Any) -> bool:
    edges = [edge for pair in hours for edge in pair]
    return all(isinstance(e, int) and 0 <= e <= DAY for e in edges) and all(
        a < b for a, b in itertools.pairwise(edges)
    )


def _describe_week(week: Week) -> str:
    """``Mon–Fri 09:00–17:00; Sat 10:00–14:00``: runs of days with the same hours."""
    parts = []
    for first, last, hours in _runs(week):
        days = _TITLES[first] if first == last else f"{_TITLES[first]}–{_TITLES[last]}"
        parts.append(f"{days} {_clock_range(hours)}")
    return "; ".join(parts)


def _aware(moment: dt.datetime, what: str) -> dt.datetime:
    if not isinstance(moment, dt.datetime) or moment.utcoffset() is None:
        raise UsageError(f"{what} {moment!r} has no time zone (give an aware datetime)")
    return moment
