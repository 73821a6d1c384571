"""Availability from time, not from counting checks: how much watched service time the site was down.

    availability = 1 − counted downtime / observed service time

Only time somebody watched is vouched for. A moment is *observed* when a
check result about the site's availability (``observations``: any result
that can see downtime and gave a verdict, not UNKNOWN) came shortly before
it: each such result observes the time from itself to the next one, for at
most twice the usual spacing of the results (the check interval: a late or
lost run leaves no hole), never less than ``OBSERVATION_GAP`` (15 minutes)
nor more than ``LONGEST_GAP`` (2 hours, twice the longest interval ``upkeep
schedule`` writes); ``observation_gap`` says which. Service time nobody
observed (before monitoring began, while the timer was stopped) is reported
as *unobserved*, counts neither as up nor as down, and a period with no
observed time gets no verdict (``not observed``) instead of "met".

Counted downtime is the union of the outages (overlapping incidents count
once) inside the calendar's service hours and inside observed time, less the
parts inside maintenance windows; those parts are "excused" and reported
apart. Maintenance does not shrink the service time: the client paid for
those hours too. The budget is the downtime the target allows, ``(1 −
target) ×`` the period's service time less what went unobserved; a period
still running is measured up to ``now`` (its availability is "so far") while
its budget counts the rest of the period as if it will be observed.

Everything is exact: times in microseconds, ratios as fractions, so a
hand-computed 99.9 % is 99.9 % and not 99.89999.

    >>> from upkeep.inventory.service_calendar import ServiceCalendar
    >>> cal = ServiceCalendar("Europe/Warsaw")  # 24/7
    >>> start, end = month_period("2026-02", cal)
    >>> outage = (dt.datetime(2026, 2, 3, 10, tzinfo=cal.zone), dt.datetime(2026, 2, 3, 10, 40, tzinfo=cal.zone))
    >>> a = measure(cal, 99.9, start, end, now=end, outages=[outage])
    >>> a.service, a.allowed, a.downtime        # 28 × 24 h = 672 h; 0.1 % of that is 40 m 19.2 s
    (datetime.timedelta(days=28), datetime.timedelta(seconds=2419, microseconds=200000), datetime.timedelta(seconds=2400))
    >>> percent_text(a.percent), a.verdict
    ('99.900', 'met')

Watched only from the 3rd: two days unobserved, the outage measured against 26 days.

    >>> watched = [(dt.datetime(2026, 2, 3, tzinfo=cal.zone), end)]
    >>> a = measure(cal, 99.9, start, end, now=end, outages=[outage], observed=watched)
    >>> a.observed, a.unobserved, percent_text(a.percent)
    (datetime.timedelta(days=26), datetime.timedelta(days=2), '99.893')
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from upkeep.errors import UsageError
from upkeep.inventory.service_calendar import Interval, ServiceCalendar

_MONTH = re.compile(r"(\d{4})-(\d{2})")
_YEAR = re.compile(r"\d{4}")
_ZERO = dt.timedelta()
# How long one check result vouches for the site at least (three runs of the usual 5-minute
# timer) and at most (twice the hourly one, the longest `upkeep schedule` writes).
OBSERVATION_GAP = dt.timedelta(minutes=15)
LONGEST_GAP = dt.timedelta(hours=2)


# ---- intervals (aware datetimes; results in UTC) -------------------------------


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """The union, as sorted disjoint intervals; touching ones are joined, empty ones dropped."""
    spans = sorted((a.astimezone(dt.UTC), b.astimezone(dt.UTC)) for a, b in intervals if b > a)
    merged: list[Interval] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def intersect(left: Iterable[Interval], right: Iterable[Interval]) -> list[Interval]:
    """Where both cover, as sorted disjoint intervals."""
    ours, theirs = merge(left), merge(right)
    found: list[Interval] = []
    i = j = 0
    while i < len(ours) and j < len(theirs):
        a, b = max(ours[i][0], theirs[j][0]), min(ours[i][1], theirs[j][1])
        if b > a:
            found.append((a, b))
        if ours[i][1] < theirs[j][1]:
            i += 1
        else:
            j += 1
    return found


def subtract(left: Iterable[Interval], right: Iterable[Interval]) -> list[Interval]:
    """``left`` with ``right`` cut out."""
    holes = merge(right)
    found: list[Interval] = []
    for a, b in merge(left):
        for hole_a, hole_b in holes:
            if hole_b <= a or hole_a >= b:
                continue
            if hole_a > a:
                found.append((a, hole_a))
            a = max(a, hole_b)
            if a >= b:
                break
        if a < b:
            found.append((a, b))
    return found


def clip(intervals: Iterable[Interval], start: dt.datetime, end: dt.datetime) -> list[Interval]:
    return intersect(intervals, [(start, end)])


def observation_gap(moments: Iterable[dt.datetime]) -> dt.timedelta:
    """How long one result vouches for: twice the usual (median) spacing of the results,
    within ``OBSERVATION_GAP`` and ``LONGEST_GAP``.

    >>> first = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    >>> every = lambda minutes: [first + n * dt.timedelta(minutes=minutes) for n in range(9)]
    >>> [str(observation_gap(every(minutes))) for minutes in (5, 30, 240)]
    ['0:15:00', '1:00:00', '2:00:00']
    """
    times = sorted({moment.astimezone(dt.UTC) for moment in moments})
    spacings = sorted(after - moment for moment, after in itertools.pairwise(times))
    if not spacings:
        return OBSERVATION_GAP
    usual = spacings[len(spacings) // 2]
    return min(LONGEST_GAP, max(OBSERVATION_GAP, 2 * usual))


def observations(
    moments: Iterable[dt.datetime], gap: dt.timedelta = OBSERVATION_GAP
) -> list[Interval]:
    """The time the results at ``moments`` watched: each to the next one, at most ``gap`` long.

    >>> at = lambda minute: dt.datetime(2026, 11, 23, 9, minute, tzinfo=dt.UTC)
    >>> [(a.minute, b.minute) for a, b in observations([at(0), at(5), at(40)])]
    [(0, 20), (40, 55)]
    """
    times = sorted({moment.astimezone(dt.UTC) for moment in moments})
    ends = [min(after, moment + gap) for moment, after in itertools.pairwise(times)]
    return merge(zip(times, [*ends, *(t + gap for t in times[-1:])], strict=True))


# ---- periods ---------------------------------------------------------------------


def month_period(month: str, calendar: ServiceCalendar) -> Interval:
    """A ``YYYY-MM`` month as local midnight of its first day to that of the next month's (UTC)."""
    match = _MONTH.fullmatch(month.strip()) if isinstance(month, str) else None
    if match is None or not 1 <= int(match[2]) <= 12 or int(match[1]) < 1970:
        raise UsageError(f"month {month!r} is not a month such as 2026-11 (YYYY-MM)")
    year, number = int(match[1]), int(match[2])
    first = dt.date(year, number, 1)
    following = dt.date(year + number // 12, number % 12 + 1, 1)
    return calendar.day_bounds(first)[0], calendar.day_bounds(following)[0]


def year_period(year: str, calendar: ServiceCalendar) -> Interval:
    """A ``YYYY`` year as local midnight of 1 January to that of the next year's (UTC).

    >>> from upkeep.inventory.service_calendar import ServiceCalendar
    >>> start, end = year_period("2026", ServiceCalendar("Europe/Warsaw"))
    >>> start.isoformat(), end - start
    ('2025-12-31T23:00:00+00:00', datetime.timedelta(days=365))
    """
    if not isinstance(year, str) or not _YEAR.fullmatch(year.strip()) or int(year) < 1970:
        raise UsageError(f"year {year!r} is not a year such as 2026 (YYYY)")
    number = int(year)
    return (
        calendar.day_bounds(dt.date(number, 1, 1))[0],
        calendar.day_bounds(dt.date(number + 1, 1, 1))[0],
    )


def period_bounds(period: str, calendar: ServiceCalendar) -> Interval:
    """A report's period: ``YYYY`` is a year, anything else must be a ``YYYY-MM`` month."""
    if isinstance(period, str) and _YEAR.fullmatch(period.strip()):
        return year_period(period, calendar)
    return month_period(period, calendar)


def service_downtime(
    calendar: ServiceCalendar,
    outages: Iterable[Interval],
    maintenance: Iterable[Interval],
    start: dt.datetime,
    end: dt.datetime,
) -> tuple[dt.timedelta, dt.timedelta]:
    """(counted, excused): outage service time between start and end, outside and inside maintenance."""
    down = clip(outages, start, end)
    windows = merge(maintenance)
    counted = sum((calendar.service_time(a, b) for a, b in subtract(down, windows)), _ZERO)
    excused = sum((calendar.service_time(a, b) for a, b in intersect(down, windows)), _ZERO)
    return counted, excused


# ---- results -------------------------------------------------------------------


@dataclass(frozen=True)
class Day:
    """One local day of the period."""

    date: dt.date
    service: dt.timedelta  # the day's service time in the calendar (the whole day's)
    measured: dt.timedelta  # the part of it up to now
    downtime: dt.timedelta  # counted
    excused: dt.timedelta  # inside maintenance
    closed_reason: str | None  # a holiday's name or "closed", on a day that has hours otherwise
    observed: dt.timedelta  # the part of ``measured`` a check result watched

    @property
    def unobserved(self) -> dt.timedelta:
        """Service time up to now that no check result watched."""
        return self.measured - self.observed

    @property
    def state(self) -> str:
        """``closed`` (no service hours that day), ``future`` (not begun by now),
        ``unobserved`` (begun, but nothing watched it) or ``open``."""
        if not self.service:
            return "closed"
        if not self.measured:
            return "future"
        return "open" if self.observed else "unobserved"

    @property
    def percent(self) -> Fraction | None:
        """Availability over the observed part of the day; None when nothing was observed."""
        return _percent(self.downtime, self.observed)


@dataclass(frozen=True)
class Availability:
    target: Fraction  # percent, exactly as written (99.9)
    start: dt.datetime  # the period, UTC
    end: dt.datetime
    until: dt.datetime  # measured up to here: the end, or now if sooner
    service: dt.timedelta  # the whole period's service time
    measured: dt.timedelta  # service time up to ``until``
    downtime: dt.timedelta  # counted against the SLA
    excused: dt.timedelta  # downtime inside maintenance windows
    days: tuple[Day, ...]
    observed: dt.timedelta  # the part of ``measured`` a check result watched

    @classmethod
    def of_days(
        cls,
        target: Fraction,
        start: dt.datetime,
        end: dt.datetime,
        until: dt.datetime,
        days: Iterable[Day],
    ) -> Availability:
        """The period's figures: its days' sums."""
        days = tuple(days)
        return cls(
            target=target,
            start=start,
            end=end,
            until=until,
            service=sum((d.service for d in days), _ZERO),
            measured=sum((d.measured for d in days), _ZERO),
            downtime=sum((d.downtime for d in days), _ZERO),
            excused=sum((d.excused for d in days), _ZERO),
            days=days,
            observed=sum((d.observed for d in days), _ZERO),
        )

    @property
    def complete(self) -> bool:
        return self.until >= self.end

    @property
    def unobserved(self) -> dt.timedelta:
        """Service time up to ``until`` that no check result watched: vouched for neither way."""
        return self.measured - self.observed

    @property
    def percent(self) -> Fraction | None:
        """Availability over the observed service time so far; None when none was observed."""
        return _percent(self.downtime, self.observed)

    @property
    def budget(self) -> Fraction:
        """The downtime the target allows, in microseconds, exact: its share of the period's
        service time less what went unobserved (the rest of a running period counts as watched)."""
        return _us(self.service - self.unobserved) * (100 - self.target) / 100

    @property
    def allowed(self) -> dt.timedelta:
        """The budget, rounded down to the microsecond."""
        return dt.timedelta(microseconds=math.floor(self.budget))

    @property
    def remaining(self) -> dt.timedelta:
        """What is left of the budget; negative once it is overspent."""
        return self.allowed - self.downtime

    @property
    def verdict(self) -> str:
        """``met`` or ``missed``; ``on track`` while the period runs within its budget;
        ``not observed`` when no check result watched any of it (no verdict either way);
        ``not begun`` for a part of a longer period that lies ahead (a year's December)."""
        if self.until <= self.start:
            return "not begun"
        if not self.observed:
            return "not observed"
        if _us(self.downtime) > self.budget:
            return "missed"  # the month's budget is spent: no later uptime brings it back
        return "met" if self.complete else "on track"


def measure(
    calendar: ServiceCalendar,
    target: float | Fraction,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    outages: Iterable[Interval] = (),
    maintenance: Iterable[Interval] = (),
    observed: Iterable[Interval] | None = None,
) -> Availability:
    """Availability of the period ``start``–``end`` as known at ``now``, day by day.

    ``observed``: the time check results watched (``observations``); outages
    count only inside it. None means all of it was watched (pure what-ifs and
    tests); the monthly report always passes the history's.
    """
    start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    until = min(max(now.astimezone(dt.UTC), start), end)
    watched = clip([(start, until)] if observed is None else observed, start, until)
    down = intersect(clip(outages, start, until), watched)
    windows = merge(maintenance)
    days = []
    day = calendar.local_date(start)
    while True:
        day_start, day_end = calendar.day_bounds(day)
        if day_start >= end:
            break
        day_start, day_end = max(day_start, start), min(day_end, end)
        counted, excused = service_downtime(calendar, down, windows, day_start, day_end)
        days.append(
            Day(
                date=day,
                service=calendar.service_time(day_start, day_end),
                measured=calendar.service_time(day_start, min(day_end, until)),
                downtime=counted,
                excused=excused,
                # A holiday on a Sunday closes nothing a Mon–Fri client had.
                closed_reason=calendar.closed_reason(day) if calendar.regular_hours(day) else None,
                observed=sum(
                    (calendar.service_time(a, b) for a, b in clip(watched, day_start, day_end)),
                    _ZERO,
                ),
            )
        )
        day += dt.timedelta(days=1)
    return Availability.of_days(_exact(target), start, end, until, days)


def months_of(whole: Availability, calendar: ServiceCalendar) -> tuple[Availability, ...]:
    """A year's (or any period's) availability cut into its calendar months, from its days:
    each month judged on its own against the same target."""
    by_month: dict[tuple[int, int], list[Day]] = {}
    for day in whole.days:
        by_month.setdefault((day.date.year, day.date.month), []).append(day)
    months = []
    for (year, month), days in by_month.items():
        start, end = month_period(f"{year:04d}-{month:02d}", calendar)
        start, end = max(start, whole.start), min(end, whole.end)
        until = min(max(whole.until, start), end)
        months.append(Availability.of_days(whole.target, start, end, until, days))
    return tuple(months)


def percent_text(value: Fraction, places: int = 3) -> str:
    """Rounded down, so a report never shows more than was achieved: 99.89999 is 99.899.

    >>> percent_text(Fraction(999999, 10000)), percent_text(Fraction(100))
    ('99.999', '100.000')
    """
    scaled = math.floor(value * 10**places)
    whole, part = divmod(scaled, 10**places)
    return f"{whole}.{part:0{places}d}"


def _percent(downtime: dt.timedelta, observed: dt.timedelta) -> Fraction | None:
    if not observed:
        return None
    return 100 * (1 - Fraction(_us(downtime), _us(observed)))


def _exact(target: float | Fraction) -> Fraction:
    # repr gives the shortest text that reads back as the float: 99.9 is 999/10, exactly.
    return target if isinstance(target, Fraction) else Fraction(repr(float(target)))


def _us(duration: dt.timedelta) -> int:
    return (duration.days * 86_400 + duration.seconds) * 1_000_000 + duration.microseconds
