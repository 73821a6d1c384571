"""Availability from time: known outages, overlaps, maintenance, months, budgets."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from tests.unit.sla.conftest import always, at, business, hours
from upkeep.errors import UsageError
from upkeep.inventory.service_calendar import ServiceCalendar
from upkeep.sla.availability import (
    intersect,
    measure,
    merge,
    month_period,
    percent_text,
    subtract,
)

NOV = month_period("2026-11", business())
AFTER_NOV = at(2026, 12, 2)


def _measure(outages=(), maintenance=(), now=AFTER_NOV, target=99.9, cal=None, period=NOV):
    return measure(cal or business(), target, *period, now, outages, maintenance)


def test_a_month_with_a_known_outage() -> None:
    # Mon 23 Nov 10:00-11:12 = 72 min. Service time 160 h = 9600 min.
    a = _measure([(at(2026, 11, 23, 10), at(2026, 11, 23, 11, 12))])
    assert a.service == hours(160)
    assert a.downtime == dt.timedelta(minutes=72)
    # 1 − 72/9600 = 1 − 0.0075 → 99.25 %.
    assert a.percent == Fraction(9925, 100)
    assert percent_text(a.percent) == "99.250"
    # Allowed: 0.1 % of 160 h = 0.16 h = 9.6 min = 576 s; 72 min = 4320 s used; 576 − 4320 = −3744.
    assert a.allowed == dt.timedelta(seconds=576)
    assert a.remaining == dt.timedelta(seconds=-3744)
    assert a.verdict == "missed"


def test_within_budget_the_month_is_met() -> None:
    # 9 min = 540 s ≤ 576 s allowed; 1 − 540/576000 = 1 − 0.0009375 → 99.90625 %.
    a = _measure([(at(2026, 11, 23, 10), at(2026, 11, 23, 10, 9))])
    assert a.percent == Fraction(9990625, 100000)
    assert percent_text(a.percent) == "99.906"
    assert a.remaining == dt.timedelta(seconds=36)
    assert a.verdict == "met"


def test_availability_is_rounded_down_not_up() -> None:
    # 24/7 February 2026: 28 × 24 h = 672 h = 2 419 200 s. 1 s down: 1 − 1/2419200 =
    # 99.99995866 % — rounding to nearest would claim 100.000.
    cal = always()
    feb = month_period("2026-02", cal)
    a = measure(
        cal,
        99.9,
        *feb,
        at(2026, 3, 2),
        [(at(2026, 2, 3, 10), at(2026, 2, 3, 10, 0) + dt.timedelta(seconds=1))],
    )
    assert percent_text(a.percent) == "99.999"


def test_only_service_hours_count() -> None:
    # Fri 20 Nov 16:00 → Mon 23 Nov 10:00: 66 h on the clock; Fri 16-17 + Mon 9-10 = 2 h counted.
    a = _measure([(at(2026, 11, 20, 16), at(2026, 11, 23, 10))])
    assert a.downtime == hours(2)


def test_an_outage_on_independence_day_counts_nothing() -> None:
    a = _measure([(at(2026, 11, 11, 8), at(2026, 11, 11, 18))])
    assert a.downtime == dt.timedelta()
    assert a.verdict == "met"


def test_overlapping_outages_count_once() -> None:
    # 10:00-11:00 and 10:30-11:30 cover 10:00-11:30 = 90 min, not 60 + 60.
    a = _measure(
        [
            (at(2026, 11, 24, 10), at(2026, 11, 24, 11)),
            (at(2026, 11, 24, 10, 30), at(2026, 11, 24, 11, 30)),
            (at(2026, 11, 24, 10, 45), at(2026, 11, 24, 10, 50)),  # inside both
        ]
    )
    assert a.downtime == dt.timedelta(minutes=90)


def test_maintenance_overlapping_an_outage_is_excused() -> None:
    # Outage 10:00-12:00, maintenance 11:00-13:00: 10-11 counted, 11-12 excused.
    a = _measure(
        [(at(2026, 11, 24, 10), at(2026, 11, 24, 12))],
        [(at(2026, 11, 24, 11), at(2026, 11, 24, 13))],
    )
    assert (a.downtime, a.excused) == (hours(1), hours(1))
    # Maintenance does not shrink the service time: still 160 h. 1 − 1/160 = 99.375 %.
    assert a.service == hours(160)
    assert a.percent == Fraction(99375, 1000)


def test_maintenance_outside_service_hours_excuses_nothing_more() -> None:
    # Outage Tue 16:00 → Wed 10:00 (counted: 16-17 and 9-10); maintenance 16:30 → 09:30
    # covers 16:30-17:00 and 09:00-09:30 of it: 1 h excused, 1 h counted.
    a = _measure(
        [(at(2026, 11, 24, 16), at(2026, 11, 25, 10))],
        [(at(2026, 11, 24, 16, 30), at(2026, 11, 25, 9, 30))],
    )
    assert (a.downtime, a.excused) == (hours(1), hours(1))


def test_an_outage_across_two_months_is_clipped_to_each() -> None:
    outage = [(at(2026, 10, 30, 15), at(2026, 11, 2, 10))]
    # November: Mon 2 Nov 09:00-10:00 = 1 h.
    assert _measure(outage).downtime == hours(1)
    # October: Fri 30 Oct 15:00-17:00 = 2 h (31 Oct is a Saturday).
    oct_ = month_period("2026-10", business())
    assert _measure(outage, period=oct_).downtime == hours(2)


def test_24_7_october_has_745_hours_for_its_budget() -> None:
    cal = always()
    oct_ = month_period("2026-10", cal)
    a = measure(cal, 99.9, *oct_, at(2026, 11, 5), [(at(2026, 10, 25, 1), at(2026, 10, 25, 4))])
    assert a.service == hours(745)  # 31 × 24 + 1 (25 Oct has 25 h)
    # 01:00-04:00 on the fall-back night lasts 4 h of real time (02:00-03:00 happens twice).
    assert a.downtime == hours(4)
    # Allowed: 0.1 % × 745 h = 0.745 h = 2682 s.
    assert a.allowed == dt.timedelta(seconds=2682)


def test_a_month_still_running_is_measured_to_now_with_the_whole_months_budget() -> None:
    now = at(2026, 11, 16)  # Monday 00:00
    unresolved_until_now = (at(2026, 11, 13, 16, 55), now)
    after_now = (at(2026, 11, 17, 10), at(2026, 11, 17, 11))
    a = _measure([unresolved_until_now, after_now], now=now)
    # Service so far: 2-6 Nov (5 days) + 9-13 Nov less the 11th (4 days) = 9 × 8 h = 72 h.
    assert a.measured == hours(72)
    assert a.service == hours(160)
    assert a.allowed == dt.timedelta(seconds=576)
    # Only Fri 13 Nov 16:55-17:00 = 5 min counts; the outage after now is not known yet.
    assert a.downtime == dt.timedelta(minutes=5)
    # 1 − 5 min / 72 h = 1 − 5/4320 → 99.8842… %: below target so far, but the month's
    # budget (9.6 min) is not spent, so it is on track.
    assert percent_text(a.percent) == "99.884"
    assert not a.complete
    assert a.verdict == "on track"


def test_a_hundred_percent_target_allows_nothing() -> None:
    a = _measure(
        [
            (
                at(2026, 11, 24, 10),
                at(
                    2026,
                    11,
                    24,
                    10,
                    0,
                )
                + dt.timedelta(seconds=1),
            )
        ],
        target=100,
    )
    assert a.allowed == dt.timedelta()
    assert a.verdict == "missed"
    assert _measure(target=100).verdict == "met"


def test_days_one_per_day_with_their_state() -> None:
    a = _measure([(at(2026, 11, 24, 16), at(2026, 11, 25, 10))], now=at(2026, 11, 25, 12))
    assert len(a.days) == 30
    by_date = {d.date.day: d for d in a.days}
    assert by_date[1].state == "closed" and by_date[1].closed_reason is None  # a Sunday
    assert by_date[11].state == "closed"
    assert by_date[11].closed_reason == "National Independence Day"
    assert by_date[24].downtime == hours(1) and by_date[25].downtime == hours(1)
    # 25 Nov is measured 09:00-12:00 = 3 h, 1 h down → 66.666… %.
    assert by_date[25].measured == hours(3)
    assert by_date[25].percent == Fraction(200, 3)
    assert by_date[26].state == "future"
    assert sum((d.downtime for d in a.days), dt.timedelta()) == a.downtime


def test_the_days_of_a_24_7_month_follow_the_clock_changes() -> None:
    cal = always()
    mar = month_period("2026-03", cal)
    a = measure(cal, 99.9, *mar, at(2026, 4, 2))
    assert [d.service for d in a.days if d.service != hours(24)] == [hours(23)]  # 29 March


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "November", "2026-00", " "])
def test_bad_months_are_usage_errors(month: str) -> None:
    with pytest.raises(UsageError, match="is not a month such as 2026-11"):
        month_period(month, business())


def test_month_bounds_are_local_midnights() -> None:
    start, end = month_period("2026-10", business())
    # 1 Oct 00:00 CEST = 30 Sep 22:00 UTC; 1 Nov 00:00 CET = 31 Oct 23:00 UTC.
    assert start == dt.datetime(2026, 9, 30, 22, tzinfo=dt.UTC)
    assert end == dt.datetime(2026, 10, 31, 23, tzinfo=dt.UTC)
    assert month_period("2026-12", ServiceCalendar("UTC"))[1] == dt.datetime(
        2027, 1, 1, tzinfo=dt.UTC
    )


# ---- interval algebra --------------------------------------------------------------


def _h(a: float, b: float) -> tuple[dt.datetime, dt.datetime]:
    base = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
    return base + hours(a), base + hours(b)


def test_merge_joins_overlapping_and_touching_and_drops_empty() -> None:
    assert merge([_h(3, 4), _h(1, 2), _h(2, 2.5), _h(5, 5), _h(1.5, 1.8)]) == [_h(1, 2.5), _h(3, 4)]


def test_subtract_and_intersect() -> None:
    left = [_h(1, 5), _h(6, 8)]
    holes = [_h(0, 2), _h(3, 4), _h(7, 9)]
    assert subtract(left, holes) == [_h(2, 3), _h(4, 5), _h(6, 7)]
    assert intersect(left, holes) == [_h(1, 2), _h(3, 4), _h(7, 8)]
