"""Maintenance windows: local wall-clock times in an IANA zone, correct across DST, and their YAML."""

from __future__ import annotations

import datetime as dt
import typing
from typing import Any

import pytest
from pydantic import ValidationError

from upkeep.inventory import maintenance, yamldoc
from upkeep.inventory.base import EnvironmentName
from upkeep.inventory.maintenance import MaintenanceWindow, in_maintenance, intervals
from upkeep.inventory.model import EnvName, Model
from upkeep.inventory.problems import from_validation
from upkeep.monitor.result import CheckResult, Status

UTC = dt.UTC


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


def window(**fields: Any) -> MaintenanceWindow:
    fields.setdefault("timezone", "Europe/Warsaw")
    if "from_" in fields:
        fields["from"] = fields.pop("from_")
    return MaintenanceWindow.model_validate(fields)


SUNDAY_NIGHT = {"every": "sun", "from_": "02:00", "to": "04:00"}


def hours(spans: list[tuple[dt.datetime, dt.datetime]]) -> list[float]:
    return [(b - a).total_seconds() / 3600 for a, b in spans]


def test_weekly_window_in_winter_and_summer_keeps_its_local_times() -> None:
    w = window(**SUNDAY_NIGHT)
    # Warsaw is UTC+1 in winter, UTC+2 in summer: 02:00-04:00 local either way.
    assert w.intervals(utc(2026, 1, 1), utc(2026, 1, 12)) == [
        (utc(2026, 1, 4, 1), utc(2026, 1, 4, 3)),
        (utc(2026, 1, 11, 1), utc(2026, 1, 11, 3)),
    ]
    assert w.intervals(utc(2026, 7, 1), utc(2026, 7, 8)) == [
        (utc(2026, 7, 5, 0), utc(2026, 7, 5, 2))
    ]


def test_the_night_clocks_go_forward_the_window_lasts_one_hour() -> None:
    # 29 March 2026, 02:00 CET becomes 03:00 CEST (01:00 UTC): 02:00-03:00 never happens.
    w = window(**SUNDAY_NIGHT)
    assert w.intervals(utc(2026, 3, 28), utc(2026, 3, 30)) == [
        (utc(2026, 3, 29, 1), utc(2026, 3, 29, 2))
    ]
    assert w.active(utc(2026, 3, 29, 1, 0)) and w.active(utc(2026, 3, 29, 1, 59))
    assert not w.active(utc(2026, 3, 29, 0, 59)) and not w.active(utc(2026, 3, 29, 2, 0))


def test_the_night_clocks_go_back_the_window_lasts_three_hours() -> None:
    # 25 October 2026, 03:00 CEST becomes 02:00 CET: 02:00-03:00 happens twice.
    w = window(**SUNDAY_NIGHT)
    assert w.intervals(utc(2026, 10, 24), utc(2026, 10, 26)) == [
        (utc(2026, 10, 25, 0), utc(2026, 10, 25, 3))
    ]


def test_a_window_inside_the_skipped_hour_does_not_happen_that_night() -> None:
    w = window(every="sun", from_="02:15", to="02:45")
    assert w.intervals(utc(2026, 3, 28), utc(2026, 3, 30)) == []
    assert hours(w.intervals(utc(2026, 3, 21), utc(2026, 3, 23))) == [0.5]


def test_a_time_that_happens_twice_starts_at_its_first_and_ends_at_its_second() -> None:
    w = window(every="sun", from_="02:15", to="02:45")
    # 02:15 CEST = 00:15 UTC; 02:45 CET = 01:45 UTC.
    assert w.intervals(utc(2026, 10, 24), utc(2026, 10, 26)) == [
        (utc(2026, 10, 25, 0, 15), utc(2026, 10, 25, 1, 45))
    ]


def test_a_half_hour_dst_shift_is_handled_too() -> None:
    # Lord Howe Island: on 4 October 2026 at 02:00 (+10:30, 15:30 UTC) clocks go to 02:30 (+11).
    w = window(every="sun", from_="02:00", to="03:00", timezone="Australia/Lord_Howe")
    assert w.intervals(utc(2026, 10, 3), utc(2026, 10, 5)) == [
        (utc(2026, 10, 3, 15, 30), utc(2026, 10, 3, 16, 0))
    ]


def test_new_york_changes_on_other_dates() -> None:
    w = window(every="sun", from_="01:30", to="03:30", timezone="America/New_York")
    # 8 March 2026: 02:00 EST -> 03:00 EDT. 01:30 EST = 06:30 UTC, 03:30 EDT = 07:30 UTC.
    assert w.intervals(utc(2026, 3, 7), utc(2026, 3, 9)) == [
        (utc(2026, 3, 8, 6, 30), utc(2026, 3, 8, 7, 30))
    ]
    # 1 November 2026: 02:00 EDT -> 01:00 EST. 01:30 first (EDT) = 05:30 UTC; 03:30 EST = 08:30.
    assert w.intervals(utc(2026, 10, 31), utc(2026, 11, 2)) == [
        (utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 8, 30))
    ]


def test_an_overnight_window_ends_the_next_day_and_is_found_from_inside() -> None:
    w = window(every="sat", from_="23:00", to="01:00", timezone="UTC")
    assert w.intervals(utc(2026, 11, 28), utc(2026, 11, 30)) == [
        (utc(2026, 11, 28, 23), utc(2026, 11, 29, 1))
    ]
    # A period starting on Sunday still sees the end of Saturday's window.
    assert w.intervals(utc(2026, 11, 29, 0, 30), utc(2026, 11, 30)) == [
        (utc(2026, 11, 29, 0, 30), utc(2026, 11, 29, 1))
    ]
    assert w.active(utc(2026, 11, 29, 0, 59)) and not w.active(utc(2026, 11, 29, 1))


@pytest.mark.parametrize(
    ("every", "days"),
    [
        ("day", 7),
        ("daily", 7),
        (["sat", "sun"], 2),
        (["Monday", "wed", "FRI"], 3),
        ("tuesday", 1),
    ],
)
def test_days_are_read_in_several_ways(every: Any, days: int) -> None:
    w = window(every=every, from_="10:00", to="11:00", timezone="UTC")
    assert len(w.intervals(utc(2026, 11, 2), utc(2026, 11, 9))) == days  # Monday to Monday


def test_a_one_off_window_in_local_time() -> None:
    w = window(start="2026-11-28T22:00", end="2026-11-29T02:00")
    assert w.utc_interval() == (utc(2026, 11, 28, 21), utc(2026, 11, 29, 1))
    assert w.intervals(utc(2026, 11, 1), utc(2026, 12, 1)) == [w.utc_interval()]
    assert w.intervals(utc(2026, 11, 29), utc(2026, 12, 1)) == [
        (utc(2026, 11, 29), utc(2026, 11, 29, 1))
    ]
    assert w.intervals(utc(2026, 12, 1), utc(2026, 12, 2)) == []
    assert w.active(utc(2026, 11, 28, 21)) and not w.active(utc(2026, 11, 29, 1))


def test_a_one_off_window_reads_yaml_timestamps() -> None:
    data = yamldoc.parse(
        "start: 2026-11-28 22:00:00\nend: 2026-11-29T01:00\ntimezone: Europe/Warsaw\n"
    ).data
    assert isinstance(data["start"], dt.datetime)  # YAML made it a datetime already
    w = MaintenanceWindow.model_validate(data)
    assert w.utc_interval() == (utc(2026, 11, 28, 21), utc(2026, 11, 29, 0))


def test_environments_select_windows_and_windows_merge() -> None:
    windows = [
        window(every="day", from_="02:00", to="03:00", timezone="UTC", environments=["production"]),
        window(start="2026-11-23T02:30", end="2026-11-23T04:00", timezone="UTC"),
    ]
    assert intervals(windows, "production", utc(2026, 11, 23), utc(2026, 11, 24)) == [
        (utc(2026, 11, 23, 2), utc(2026, 11, 23, 4))
    ]
    assert intervals(windows, "staging", utc(2026, 11, 23), utc(2026, 11, 24)) == [
        (utc(2026, 11, 23, 2, 30), utc(2026, 11, 23, 4))
    ]
    assert in_maintenance(windows, "production", utc(2026, 11, 24, 2, 10))
    assert not in_maintenance(windows, "staging", utc(2026, 11, 24, 2, 10))


def test_checker_flags_results_for_the_history() -> None:
    check = maintenance.checker([window(**SUNDAY_NIGHT, environments=["production"])])
    sunday = utc(2026, 11, 29, 1, 30)  # 02:30 in Warsaw
    make = lambda env, moment: CheckResult("demo", env, "health", Status.OK, "", at=moment)  # noqa: E731
    assert check(make("production", sunday))
    assert not check(make("staging", sunday))
    assert not check(make("production", sunday + dt.timedelta(days=1)))


def test_naive_times_are_refused() -> None:
    w = window(**SUNDAY_NIGHT)
    with pytest.raises(ValueError, match="at must be an aware datetime"):
        w.active(dt.datetime(2026, 11, 29, 2))
    with pytest.raises(ValueError, match="start must be an aware datetime"):
        w.intervals(dt.datetime(2026, 11, 29), utc(2026, 11, 30))


class Section(Model):
    """The shape the Project model will give the windows."""

    maintenance: tuple[MaintenanceWindow, ...] = ()


def problems(text: str) -> list[str]:
    doc = yamldoc.parse(text)
    with pytest.raises(ValidationError) as caught:
        Section.model_validate(doc.data)
    return [str(p) for p in from_validation("demo.yml", doc, caught.value, Section)]


GOOD = """\
maintenance:
  - every: sun
    from: "02:00"
    to: "04:00"
    timezone: Europe/Warsaw
    environments: [production]
  - start: 2026-11-28T22:00
    end: 2026-11-29T02:00
    timezone: Europe/Warsaw
    reason: database server move
"""


def test_the_yaml_example_loads() -> None:
    section = Section.model_validate(yamldoc.parse(GOOD).data)
    weekly, once = section.maintenance
    assert weekly.recurring and weekly.every == ("sun",) and weekly.from_ == dt.time(2)
    assert weekly.applies_to("production") and not weekly.applies_to("staging")
    assert not once.recurring and once.reason == "database server move"
    assert once.applies_to("staging")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            'from: "02:00"',
            "from: 22:00",
            'demo.yml:3: maintenance[0].from: write the time in quotes, e.g. "22:00" '
            "(YAML reads 22:00 as a number)",
        ),
        ('to: "04:00"', 'to: "4 am"', "demo.yml:4: maintenance[0].to: '4 am' is not a time of day"),
        (
            'to: "04:00"',
            'to: "24:00"',
            "demo.yml:4: maintenance[0].to: '24:00' is not a time of day",
        ),
        ("every: sun", "every: sundy", "'sundy' is not a day of the week (did you mean 'sunday'?)"),
        ("every: sun", "every: [sun, sun]", "sun is listed twice (keep one)"),
        ("every: sun", "every: []", "expected a day (mon ... sun), a list of days or 'day'"),
        (
            "timezone: Europe/Warsaw\n    environments",
            "timezone: Europe/Warsow\n    environments",
            "demo.yml:5: maintenance[0].timezone: 'Europe/Warsow' is not an IANA time zone "
            "(did you mean 'Europe/Warsaw'?)",
        ),
        ("environments: [production]", "environments: [prod]", "maintenance[0].environments[0]"),
        (
            '    to: "04:00"\n',
            "",
            "demo.yml:2: maintenance[0]: a recurring window needs every, from and to (add to)",
        ),
        ('to: "04:00"', 'to: "02:00"', "from and to are the same time (a window needs a length)"),
        (
            "  - every: sun\n",
            "  - every: sun\n    start: 2026-11-28T22:00\n",
            "mixes a one-off window (start) with a recurring one (every, from, to); split it",
        ),
        (
            "end: 2026-11-29T02:00",
            "end: 2026-11-28T21:00",
            "maintenance[1]: end is not after start",
        ),
        (
            "end: 2026-11-29T02:00",
            "end: 2026-11-29",
            "maintenance[1].end: 2026-11-29 has no time of day (write 2026-11-29T00:00)",
        ),
        ("end: 2026-11-29T02:00", "end: tomorrow", "'tomorrow' is not a local date and time"),
        (
            "end: 2026-11-29T02:00",
            "end: 2026-11-29T02:00+01:00",
            "give the local time without an offset (the timezone key says where it is)",
        ),
        ("    end: 2026-11-29T02:00\n", "", "a one-off window needs start and end (add end)"),
        ("reason: database", "rason: database", "demo.yml:10: maintenance[1].rason: unknown key"),
    ],
)
def test_broken_windows_get_one_clear_line(old: str, new: str, expected: str) -> None:
    assert old in GOOD
    lines = problems(GOOD.replace(old, new, 1))
    assert len(lines) == 1, lines
    assert expected in lines[0]


def test_a_window_without_times_says_what_to_give() -> None:
    assert problems("maintenance:\n  - timezone: UTC\n") == [
        "demo.yml:2: maintenance[0]: no times given (give start and end, or every, from and to)"
    ]


def test_the_model_follows_the_inventory_model() -> None:
    # One base for every section (upkeep.inventory.base).
    assert issubclass(MaintenanceWindow, Model)
    assert MaintenanceWindow.model_config == Model.model_config
    environments = typing.get_args(EnvironmentName)
    assert list(environments) == [name.value for name in EnvName]
