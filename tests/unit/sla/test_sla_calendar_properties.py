"""Properties of service time that hold on any calendar: it adds up, and deadlines invert it."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.sla.conftest import WARSAW
from upkeep.inventory.service_calendar import ServiceCalendar, parse_hours

CALENDARS = [
    ServiceCalendar("Europe/Warsaw"),  # 24/7, both clock changes
    ServiceCalendar("Europe/Warsaw", parse_hours({"mon-fri": "09:00-17:00"}), "PL"),
    ServiceCalendar(
        "Europe/Warsaw",
        # A lunch break, Saturday mornings, and Sunday's whole day (clock changes included).
        parse_hours(
            {"mon-fri": ["08:00-12:00", "12:30-18:00"], "sat": "09:00-13:00", "sun": "00:00-24:00"}
        ),
        "PL",
        frozenset({dt.date(2026, 12, 31)}),
    ),
    ServiceCalendar("America/New_York", parse_hours({"mon-fri": "02:00-03:30"}), "US"),
]

# 2025 to 2027: three years of both clock changes and holidays, in UTC or Warsaw time.
moments = st.datetimes(
    min_value=dt.datetime(2025, 1, 1),
    max_value=dt.datetime(2027, 12, 31),
    timezones=st.just(dt.UTC),
).flatmap(lambda m: st.sampled_from([m, m.astimezone(WARSAW)]))
calendars = st.sampled_from(CALENDARS)
durations = st.timedeltas(min_value=dt.timedelta(), max_value=dt.timedelta(days=40))


@settings(max_examples=300)
@given(calendars, moments, moments, moments)
def test_service_time_adds_up(
    cal: ServiceCalendar, x: dt.datetime, y: dt.datetime, z: dt.datetime
) -> None:
    a, b, c = sorted((x, y, z))
    assert cal.service_time(a, c) == cal.service_time(a, b) + cal.service_time(b, c)
    assert cal.service_seconds(a, c) == cal.service_time(a, c).total_seconds()


@settings(max_examples=300)
@given(calendars, moments, moments)
def test_service_time_is_at_most_the_clock_time(
    cal: ServiceCalendar, a: dt.datetime, b: dt.datetime
) -> None:
    a, b = sorted((a, b))
    # Subtracting in UTC: two Warsaw times subtract on the wall clock, DST ignored.
    assert dt.timedelta() <= cal.service_time(a, b) <= b.astimezone(dt.UTC) - a.astimezone(dt.UTC)


@settings(max_examples=300)
@given(calendars, moments, durations)
def test_a_deadline_is_exactly_that_much_service_time_later(
    cal: ServiceCalendar, start: dt.datetime, duration: dt.timedelta
) -> None:
    due = cal.add_service_time(start, duration)
    assert due >= start
    assert cal.service_time(start, due) == duration


@settings(max_examples=300)
@given(calendars, moments, moments)
def test_the_deadline_for_the_service_time_between_is_the_earliest_moment_with_it(
    cal: ServiceCalendar, a: dt.datetime, b: dt.datetime
) -> None:
    a, b = sorted((a, b))
    due = cal.add_service_time(a, cal.service_time(a, b))
    # Never later than b; when b falls outside service hours, the last closing before it.
    assert a <= due <= b
    assert cal.service_time(due, b) == dt.timedelta()
