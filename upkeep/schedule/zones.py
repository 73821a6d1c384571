"""Time zones: checking a name, and turning local weekly times into UTC for UTC-only schedulers.

systemd timers and GitLab schedules take a time zone; GitHub Actions' cron is
UTC only. A fixed UTC time cannot follow daylight saving time, so we convert
with the zone's *summer* offset: the job never runs later than asked, and in
winter it runs earlier by the DST shift (06:00 in Warsaw becomes 04:00 UTC:
06:00 CEST in summer, 05:00 CET in winter).

    >>> moved = to_utc(Weekly((1,), 6, 0), "Europe/Warsaw", 2025)
    >>> str(moved.weekly), moved.offset_label, moved.winter_local
    ('Tue 04:00', 'UTC+02:00', 'Tue 05:00')
    >>> str(to_utc(Weekly((1,), 0, 30), "Europe/Warsaw", 2025).weekly)  # the day moves too
    'Mon 22:30'
"""

from __future__ import annotations

import datetime as dt
import difflib
import zoneinfo
from dataclasses import dataclass
from functools import cache

from upkeep.errors import UsageError
from upkeep.schedule.model import Weekly

_WEEK_MINUTES = 7 * 24 * 60


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check_timezone(name: str) -> str:
    """An IANA zone name the tz database knows (systemd and GitLab need the same names)."""
    known = _known_zones()
    if name not in known:
        close = difflib.get_close_matches(name, sorted(known), n=1)
        hint = f"did you mean {close[0]!r}?" if close else "use an IANA name like Europe/Warsaw"
        raise UsageError(f"--timezone {name!r}: unknown time zone ({hint})")
    return name


def offsets(zone: str, year: int) -> tuple[dt.timedelta, dt.timedelta]:
    """The zone's (winter, summer) UTC offsets in ``year``; equal where there is no DST."""
    tz = zoneinfo.ZoneInfo(zone)
    # The 15th of every month catches both halves in either hemisphere.
    seen = {dt.datetime(year, month, 15, 12, tzinfo=tz).utcoffset() for month in range(1, 13)}
    found = [offset for offset in seen if offset is not None]
    return min(found), max(found)


@dataclass(frozen=True)
class UtcWeekly:
    """A local weekly time converted to UTC, with what that means through the year."""

    weekly: Weekly  # in UTC
    local: Weekly
    zone: str
    offset: dt.timedelta  # the summer offset used
    winter_offset: dt.timedelta

    @property
    def has_dst(self) -> bool:
        return self.offset != self.winter_offset

    @property
    def offset_label(self) -> str:
        return _offset_label(self.offset)

    @property
    def winter_local(self) -> str:
        """When the UTC time falls locally while the zone is on winter time."""
        return str(_shift(self.weekly, self.winter_offset))

    def note(self) -> str:
        """One line for the files and the output: which offset, and the DST shift."""
        base = f"{self.local} {self.zone} = {self.weekly} UTC ({self.offset_label})"
        if not self.has_dst:
            return base
        return (
            f"{base}; UTC cron cannot follow DST, so while {self.zone} is on winter time "
            f"({_offset_label(self.winter_offset)}) it runs at {self.winter_local} local"
        )


def to_utc(local: Weekly, zone: str, year: int) -> UtcWeekly:
    """``local`` in UTC, using the zone's summer offset of ``year``."""
    winter, summer = offsets(zone, year)
    return UtcWeekly(_shift(local, -summer), local, zone, summer, winter)


def dst_trouble(local: Weekly, zone: str, year: int) -> str | None:
    """Why ``local`` is unsafe on a DST change day in ``year`` (skipped or run twice), if it is."""
    tz = zoneinfo.ZoneInfo(zone)
    day = dt.date(year, 1, 1)
    while day.year == year:
        if day.weekday() in local.days:
            wall = dt.datetime(day.year, day.month, day.day, local.hour, local.minute)
            first, second = wall.replace(tzinfo=tz), wall.replace(tzinfo=tz, fold=1)
            if first.utcoffset() != second.utcoffset():
                # A wall time that does not exist round-trips to another wall time.
                back = first.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None)
                what = "does not exist" if back != wall else "happens twice"
                return (
                    f"{local} {what} on {day.isoformat()} when {zone} changes clocks; "
                    "schedulers may skip or repeat it (pick a time outside the change hour)"
                )
        day += dt.timedelta(days=1)
    return None


def _shift(weekly: Weekly, by: dt.timedelta) -> Weekly:
    """``weekly`` moved by a whole number of minutes; the days follow across midnight."""
    delta = int(by.total_seconds()) // 60
    starts = sorted(
        (day * 1440 + weekly.hour * 60 + weekly.minute + delta) % _WEEK_MINUTES
        for day in weekly.days
    )
    # Every day moves by the same amount, so all starts share one time of day.
    minute_of_day = starts[0] % 1440
    return Weekly(
        tuple(sorted(start // 1440 for start in starts)), minute_of_day // 60, minute_of_day % 60
    )


def _offset_label(offset: dt.timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
