"""OnCalendar and cron expressions: written for a schedule, read back, firing when asked."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from upkeep.schedule.expressions import (
    Calendar,
    cron_fields,
    oncalendar,
    parse_cron,
    parse_oncalendar,
)
from upkeep.schedule.model import CHECK_INTERVALS, Every, Weekly

WARSAW = zoneinfo.ZoneInfo("Europe/Warsaw")

weeklies = st.builds(
    Weekly,
    st.sets(st.integers(0, 6), min_size=1).map(lambda days: tuple(sorted(days))),
    st.integers(0, 23),
    st.integers(0, 59),
)


def week_of_minutes(start: dt.datetime) -> list[dt.datetime]:
    return [start + dt.timedelta(minutes=n) for n in range(7 * 24 * 60)]


def local_fires(weekly: Weekly, moment: dt.datetime) -> bool:
    """The schedule's own meaning: one of its days, at its wall-clock time."""
    return moment.weekday() in weekly.days and (moment.hour, moment.minute) == (
        weekly.hour,
        weekly.minute,
    )


# A week in July with no DST change, starting on a Monday.
JULY_WEEK = week_of_minutes(dt.datetime(2025, 7, 7, tzinfo=WARSAW))


@settings(max_examples=40, deadline=None)
@given(weeklies)
def test_oncalendar_fires_exactly_at_the_weekly_times(weekly: Weekly) -> None:
    spec = parse_oncalendar(oncalendar(weekly, "Europe/Warsaw"))
    assert spec.zone == "Europe/Warsaw"
    fired = [moment for moment in JULY_WEEK if spec.matches(moment)]
    assert fired == [moment for moment in JULY_WEEK if local_fires(weekly, moment)]
    assert len(fired) == len(weekly.days)


@settings(max_examples=40, deadline=None)
@given(weeklies)
def test_cron_fires_exactly_at_the_weekly_times(weekly: Weekly) -> None:
    spec = parse_cron(cron_fields(weekly), zone="Europe/Warsaw")
    fired = [moment for moment in JULY_WEEK if spec.matches(moment)]
    assert fired == [moment for moment in JULY_WEEK if local_fires(weekly, moment)]


@pytest.mark.parametrize("minutes", CHECK_INTERVALS)
def test_intervals_fire_every_n_minutes_in_both_notations(minutes: int) -> None:
    hour = [dt.datetime(2025, 7, 7, 10, tzinfo=dt.UTC) + dt.timedelta(minutes=n) for n in range(60)]
    expected = [moment for moment in hour if moment.minute % minutes == 0]
    for spec in (
        parse_oncalendar(oncalendar(Every(minutes), "Europe/Warsaw")),
        parse_cron(cron_fields(Every(minutes))),
    ):
        assert [moment for moment in hour if spec.matches(moment)] == expected
        assert len(expected) == 60 // minutes


@pytest.mark.parametrize(
    ("weekly", "expected_oncalendar", "expected_cron"),
    [
        (Weekly((1,), 6, 0), "Tue *-*-* 06:00:00 Europe/Warsaw", "0 6 * * 2"),
        (Weekly((6,), 23, 5), "Sun *-*-* 23:05:00 Europe/Warsaw", "5 23 * * 0"),
        (Weekly((0, 6), 1, 0), "Mon,Sun *-*-* 01:00:00 Europe/Warsaw", "0 1 * * 0,1"),
        (Weekly((4, 5, 6), 2, 0), "Fri..Sun *-*-* 02:00:00 Europe/Warsaw", "0 2 * * 0,5,6"),
        (Weekly((0, 1, 2, 3, 4), 5, 30), "Mon..Fri *-*-* 05:30:00 Europe/Warsaw", "30 5 * * 1-5"),
        (Weekly(tuple(range(7)), 3, 0), "*-*-* 03:00:00 Europe/Warsaw", "0 3 * * *"),
    ],
)
def test_written_forms(weekly: Weekly, expected_oncalendar: str, expected_cron: str) -> None:
    # Sunday is 0 in cron and last in systemd's week: the mapping most likely to go wrong.
    assert oncalendar(weekly, "Europe/Warsaw") == expected_oncalendar
    assert cron_fields(weekly) == expected_cron


def test_next_after_crosses_a_dst_change_in_the_zone() -> None:
    spec = parse_oncalendar("Sun *-*-* 04:00:00 Europe/Warsaw")
    # Saturday evening before the change to summer time (30 March 2025).
    after = dt.datetime(2025, 3, 29, 20, 0, tzinfo=WARSAW)
    fired = spec.next_after(after)
    assert (fired.day, fired.hour, fired.minute) == (30, 4, 0)
    assert fired.utcoffset() == dt.timedelta(hours=2)  # already CEST
    assert spec.next_after(fired) == fired + dt.timedelta(days=7)


@pytest.mark.parametrize(
    "text",
    [
        "Tue 06:00",  # no date part
        "Tue *-*-* 6:00:00 UTC",  # one-digit hour
        "Tue *-*-* 06:00 UTC",  # no seconds
        "Tue *-*-* 06:00:30 UTC",  # seconds we never write
        "Tus *-*-* 06:00:00 UTC",
        "Fri..Mon *-*-* 06:00:00 UTC",
        "Tue *-*-* 24:00:00 UTC",
        "Tue *-*-* 06:60:00 UTC",
        "*-*-* *:00/0:00",
        "Tue *-*-* 06:00:00 Mars/Olympus",
        "2025-*-* 06:00:00 UTC",
    ],
)
def test_oncalendar_outside_the_subset_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_oncalendar(text)


@pytest.mark.parametrize(
    "text",
    [
        "0 6 * * ",  # four fields
        "0 6 1 * 2",  # day of month
        "0 6 * 1 2",  # month
        "60 6 * * 2",
        "0 24 * * 2",
        "0 6 * * 8",
        "0 6 * * 5-2",
        "*/0 * * * *",
        "0 6 * * Tue",
    ],
)
def test_cron_outside_the_subset_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_cron(text)


def test_cron_reads_sunday_as_0_and_7() -> None:
    assert parse_cron("0 6 * * 0").days == parse_cron("0 6 * * 7").days == frozenset({6})
    assert parse_cron("0 6 * * 1-5").days == frozenset(range(5))


def test_a_calendar_that_never_fires_says_so() -> None:
    never = Calendar(frozenset(), frozenset({1}), frozenset({1}), "UTC")
    with pytest.raises(ValueError, match="never fires"):
        never.next_after(dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
