"""A production wave waits for the maintenance windows of the projects it touches.

The windows are the ones the monitoring already knows (``maintenance:`` in a
project's inventory). A wave starts at the first moment every affected project
that sets a production window is inside one; projects that set none do not
hold it back. The clock is injected, so tests wait without sleeping.

    >>> clock = FakeClock(dt.datetime(2026, 12, 6, 1, 0, tzinfo=dt.UTC))
    >>> window = MaintenanceWindow.model_validate(
    ...     {"every": "sun", "from": "02:00", "to": "04:00", "timezone": "UTC"})
    >>> said = []
    >>> wait_for_windows({"demo": (window,)}, clock, said.append)
    'waited 60 min for the maintenance window of demo'
    >>> said, clock.now()
    (['waiting for the maintenance window of demo until 02:00 UTC (2026-12-06)'], datetime.datetime(2026, 12, 6, 2, 0, tzinfo=datetime.timezone.utc))
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from upkeep.errors import UsageError
from upkeep.inventory.maintenance import Interval, MaintenanceWindow, intervals

ENVIRONMENT = "production"  # the waves that wait are production's
HORIZON = dt.timedelta(days=14)  # two weekly windows that never meet are refused, not waited on
Say = Callable[[str], None]


class Clock(Protocol):
    def now(self) -> dt.datetime: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass
class FakeClock:
    """A clock for tests: ``sleep`` moves it on at once."""

    at: dt.datetime

    def now(self) -> dt.datetime:
        return self.at

    def sleep(self, seconds: float) -> None:
        self.at += dt.timedelta(seconds=seconds)


@dataclass(frozen=True)
class Opening:
    """When a wave may start: ``start`` (now, if a window is open), and whose windows count."""

    start: dt.datetime
    end: dt.datetime | None  # None: no window holds the wave
    projects: tuple[str, ...]

    def waits(self, now: dt.datetime) -> bool:
        return self.start > now


def windows_of(
    projects: Mapping[str, Sequence[MaintenanceWindow]],
) -> dict[str, tuple[MaintenanceWindow, ...]]:
    """The projects with a window for production, and those windows."""
    found = {}
    for name, windows in projects.items():
        mine = tuple(w for w in windows if w.applies_to(ENVIRONMENT))
        if mine:
            found[name] = mine
    return found


def next_opening(projects: Mapping[str, Sequence[MaintenanceWindow]], now: dt.datetime) -> Opening:
    """The first moment from ``now`` at which every project's production window is open.

    Refused (UsageError) when their windows do not meet within ``HORIZON``.
    """
    holding = windows_of(projects)
    if not holding:
        return Opening(now, None, ())
    common: list[Interval] = [(now, now + HORIZON)]
    for windows in holding.values():
        mine = intervals(windows, ENVIRONMENT, now, now + HORIZON)
        common = _intersect(common, mine)
    names = tuple(sorted(holding))
    if not common:
        raise UsageError(
            f"the production maintenance windows of {' and '.join(names)} do not meet in the "
            f"next {HORIZON.days} days: update them in separate runs, or pass --no-wait"
        )
    start, end = common[0]
    return Opening(start, end, names)


def _intersect(first: Sequence[Interval], second: Sequence[Interval]) -> list[Interval]:
    both = []
    for a_start, a_end in first:
        for b_start, b_end in second:
            start, end = max(a_start, b_start), min(a_end, b_end)
            if start < end:
                both.append((start, end))
    return sorted(both)


def wait_for_windows(
    projects: Mapping[str, Sequence[MaintenanceWindow]], clock: Clock, say: Say
) -> str:
    """Wait (on ``clock``) until the wave may start; what happened, in one line."""
    opening = next_opening(projects, clock.now())
    whose = " and ".join(opening.projects)
    if not opening.projects:
        return "no maintenance window set: starting now"
    now = clock.now()
    if not opening.waits(now):
        return f"inside the maintenance window of {whose}: starting now"
    say(f"waiting for the maintenance window of {whose} until {until(opening.start)}")
    while (left := (opening.start - clock.now()).total_seconds()) > 0:
        clock.sleep(min(left, 60.0))  # a minute at a time: a clock that jumps is noticed
    minutes = round((clock.now() - now).total_seconds() / 60)
    return f"waited {minutes} min for the maintenance window of {whose}"


def until(moment: dt.datetime) -> str:
    """``02:00 UTC (2026-12-06)``: the time first, as an operator watching looks for it."""
    moment = moment.astimezone(dt.UTC)
    return f"{moment:%H:%M} UTC ({moment:%Y-%m-%d})"
