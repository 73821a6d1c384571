"""Local weekly times to UTC for GitHub's cron: the offset used, the day moving, DST."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from upkeep.errors import UsageError
from upkeep.schedule.expressions import cron_fields, parse_cron
from upkeep.schedule.model import Weekly
from upkeep.schedule.zones import check_timezone, dst_trouble, offsets, to_utc

weeklies = st.builds(
    Weekly,
    st.sets(st.integers(0, 6), min_size=1).map(lambda days: tuple(sorted(days))),
    st.integers(0, 23),
    st.integers(0, 59),
)


def fires_locally(weekly: Weekly, moment: dt.datetime, zone: str) -> bool:
    local = moment.astimezone(zoneinfo.ZoneInfo(zone))
    return local.weekday() in weekly.days and (local.hour, local.minute) == (
        weekly.hour,
        weekly.minute,
    )


def utc_week(start: dt.datetime) -> list[dt.datetime]:
    return [start + dt.timedelta(minutes=n) for n in range(7 * 24 * 60)]


# Weeks with no DST change in either hemisphere's zones used below.
SUMMER_NORTH = utc_week(dt.datetime(2025, 7, 7, tzinfo=dt.UTC))
WINTER_NORTH = utc_week(dt.datetime(2025, 1, 13, tzinfo=dt.UTC))


@pytest.mark.parametrize(
    ("zone", "winter_hours", "summer_hours"),
    [
        ("Europe/Warsaw", 1, 2),
        ("America/New_York", -5, -4),
        ("Australia/Sydney", 10, 11),  # summer is January there
        ("Asia/Kolkata", 5.5, 5.5),  # no DST, a half-hour offset
        ("UTC", 0, 0),
    ],
)
def test_offsets_per_zone(zone: str, winter_hours: float, summer_hours: float) -> None:
    winter, summer = offsets(zone, 2025)
    assert winter == dt.timedelta(hours=winter_hours)
    assert summer == dt.timedelta(hours=summer_hours)


@settings(max_examples=25, deadline=None)
@given(weeklies, st.sampled_from(["Europe/Warsaw", "America/New_York", "Asia/Kolkata"]))
def test_utc_cron_fires_at_the_local_time_while_summer_time_holds(
    weekly: Weekly, zone: str
) -> None:
    utc = to_utc(weekly, zone, 2025)
    spec = parse_cron(cron_fields(utc.weekly))
    fired = [moment for moment in SUMMER_NORTH if spec.matches(moment)]
    assert fired == [moment for moment in SUMMER_NORTH if fires_locally(weekly, moment, zone)]


@settings(max_examples=25, deadline=None)
@given(weeklies)
def test_in_winter_the_utc_cron_runs_earlier_by_the_dst_shift(weekly: Weekly) -> None:
    zone = "Europe/Warsaw"
    utc = to_utc(weekly, zone, 2025)
    spec = parse_cron(cron_fields(utc.weekly))
    fired = [moment for moment in WINTER_NORTH if spec.matches(moment)]
    shift = utc.offset - utc.winter_offset
    assert shift == dt.timedelta(hours=1)
    # Never later than asked: each run is exactly the shift before a wanted local time.
    assert [moment + shift for moment in fired] == [
        moment + shift for moment in WINTER_NORTH if fires_locally(weekly, moment + shift, zone)
    ]
    assert len(fired) == len(weekly.days)


@pytest.mark.parametrize(
    ("local", "zone", "utc", "note_fragment"),
    [
        (Weekly((1,), 6, 0), "Europe/Warsaw", "Tue 04:00", "(UTC+02:00)"),
        (Weekly((1,), 0, 30), "Europe/Warsaw", "Mon 22:30", "winter time (UTC+01:00)"),
        (Weekly((0,), 1, 0), "Europe/Warsaw", "Sun 23:00", "runs at Mon 00:00 local"),
        (Weekly((6,), 22, 0), "America/New_York", "Mon 02:00", "(UTC-04:00)"),
        (Weekly((0, 1, 2, 3, 4), 21, 0), "America/New_York", "Tue..Sat 01:00", "Mon..Fri 20:00"),
        (Weekly((1,), 6, 0), "Australia/Sydney", "Mon 19:00", "(UTC+11:00)"),
        (Weekly((1,), 6, 0), "Asia/Kolkata", "Tue 00:30", "(UTC+05:30)"),
        (Weekly((1,), 3, 0), "Asia/Kolkata", "Mon 21:30", "Asia/Kolkata = Mon 21:30 UTC"),
    ],
)
def test_known_conversions(local: Weekly, zone: str, utc: str, note_fragment: str) -> None:
    converted = to_utc(local, zone, 2025)
    assert str(converted.weekly) == utc
    assert note_fragment in converted.note()


def test_a_zone_without_dst_says_nothing_about_winter() -> None:
    converted = to_utc(Weekly((1,), 6, 0), "Asia/Kolkata", 2025)
    assert not converted.has_dst
    assert "winter" not in converted.note()


def test_warsaw_default_update_in_july_and_january() -> None:
    """The documented example: Tue 06:00 Warsaw is 04:00 UTC; 06:00 CEST, 05:00 CET."""
    cron = cron_fields(to_utc(Weekly((1,), 6, 0), "Europe/Warsaw", 2025).weekly)
    warsaw = zoneinfo.ZoneInfo("Europe/Warsaw")
    spec = parse_cron(cron)
    july = [m.astimezone(warsaw) for m in SUMMER_NORTH if spec.matches(m)]
    january = [m.astimezone(warsaw) for m in WINTER_NORTH if spec.matches(m)]
    assert [(m.strftime("%a"), m.hour) for m in july] == [("Tue", 6)]
    assert [(m.strftime("%a"), m.hour) for m in january] == [("Tue", 5)]


def test_a_time_in_the_spring_forward_gap() -> None:
    trouble = dst_trouble(Weekly((6,), 2, 30), "Europe/Warsaw", 2025)
    assert trouble is not None
    assert "does not exist on 2025-03-30" in trouble


def test_a_time_in_the_fall_back_hour() -> None:
    # 01:30 exists in March in New York, and happens twice on 2 November 2025.
    trouble = dst_trouble(Weekly((6,), 1, 30), "America/New_York", 2025)
    assert trouble is not None
    assert "happens twice on 2025-11-02" in trouble


@pytest.mark.parametrize(
    ("weekly", "zone"),
    [
        (Weekly((6,), 4, 0), "Europe/Warsaw"),
        (Weekly((1,), 2, 30), "Europe/Warsaw"),  # changes happen on Sundays only
        (Weekly(tuple(range(7)), 2, 30), "UTC"),
    ],
)
def test_times_clear_of_changes(weekly: Weekly, zone: str) -> None:
    assert dst_trouble(weekly, zone, 2025) is None


def test_known_zone() -> None:
    assert check_timezone("Europe/Warsaw") == "Europe/Warsaw"


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("Europe/Warsw", "did you mean 'Europe/Warsaw'?"),
        ("Mars/Olympus", "unknown time zone"),
        ("../../etc/passwd", "unknown time zone"),
        ("", "unknown time zone"),
    ],
)
def test_unknown_zone(name: str, fragment: str) -> None:
    with pytest.raises(UsageError, match=r"^--timezone ") as caught:
        check_timezone(name)
    assert fragment in str(caught.value)
