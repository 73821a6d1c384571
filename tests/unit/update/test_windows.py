"""A production wave waits for its projects' maintenance windows, on an injected clock."""

from __future__ import annotations

import datetime as dt

import pytest

from upkeep.errors import UsageError
from upkeep.inventory.maintenance import MaintenanceWindow
from upkeep.update.windows import FakeClock, next_opening, wait_for_windows

SATURDAY_NIGHT = dt.datetime(2026, 12, 5, 23, 0, tzinfo=dt.UTC)


def _window(day: str, start: str, end: str, *environments: str) -> MaintenanceWindow:
    return MaintenanceWindow.model_validate(
        {"every": day, "from": start, "to": end, "timezone": "UTC", "environments": environments}
    )


class CountingClock(FakeClock):
    def __init__(self, at: dt.datetime) -> None:
        super().__init__(at)
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        super().sleep(seconds)


def test_a_wave_waits_until_every_projects_window_is_open_saying_until_when() -> None:
    clock = CountingClock(SATURDAY_NIGHT)
    said: list[str] = []
    windows = {
        "shop": (_window("sun", "01:00", "03:00", "production"),),
        "blog": (_window("sun", "02:30", "05:00"),),  # every environment: production too
        "wiki": (),  # sets none: holds nothing back
    }

    detail = wait_for_windows(windows, clock, said.append)

    assert said == [
        "waiting for the maintenance window of blog and shop until 02:30 UTC (2026-12-06)"
    ]
    assert clock.now() == dt.datetime(2026, 12, 6, 2, 30, tzinfo=dt.UTC)
    assert detail == "waited 210 min for the maintenance window of blog and shop"
    assert max(clock.sleeps) <= 60 and len(clock.sleeps) == 210  # a minute at a time


def test_inside_an_open_window_or_with_none_set_the_wave_starts_at_once() -> None:
    clock = CountingClock(dt.datetime(2026, 12, 6, 2, 0, tzinfo=dt.UTC))
    said: list[str] = []
    inside = wait_for_windows({"shop": (_window("sun", "01:00", "03:00"),)}, clock, said.append)
    none = wait_for_windows({"shop": ()}, clock, said.append)
    assert inside == "inside the maintenance window of shop: starting now"
    assert none == "no maintenance window set: starting now"
    assert said == [] and clock.sleeps == []


def test_windows_for_other_environments_do_not_hold_production_back() -> None:
    opening = next_opening({"shop": (_window("sun", "01:00", "03:00", "staging"),)}, SATURDAY_NIGHT)
    assert opening.start == SATURDAY_NIGHT and opening.projects == ()


def test_windows_that_never_meet_are_refused_in_one_line() -> None:
    windows = {
        "shop": (_window("sun", "01:00", "03:00"),),
        "blog": (_window("mon", "01:00", "03:00"),),
    }
    with pytest.raises(UsageError) as refused:
        next_opening(windows, SATURDAY_NIGHT)
    assert str(refused.value) == (
        "the production maintenance windows of blog and shop do not meet in the next 14 days: "
        "update them in separate runs, or pass --no-wait"
    )
