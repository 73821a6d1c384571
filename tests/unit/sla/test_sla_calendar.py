"""Service time on calendars: weekends, Polish holidays, DST, long spans, deadlines."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.unit.sla.conftest import WARSAW, always, at, business, hours
from upkeep.errors import UsageError
from upkeep.inventory.service_calendar import ServiceCalendar, parse_hours


def test_november_2026_business_hours_is_160_hours(cal: ServiceCalendar) -> None:
    # Nov 2026 starts on a Sunday. Weekdays: 2-6, 9-13, 16-20, 23-27 (4 × 5) + 30 = 21;
    # 11 Nov (Wednesday, Independence Day) is closed: 20 days × 8 h = 160 h.
    assert cal.service_time(at(2026, 11, 1), at(2026, 12, 1)) == hours(160)


def test_without_holidays_november_has_all_21_weekdays() -> None:
    # The same 21 weekdays, 11 Nov open: 21 × 8 h = 168 h.
    assert business(holidays=None).service_time(at(2026, 11, 1), at(2026, 12, 1)) == hours(168)


def test_independence_day_has_no_service_time(cal: ServiceCalendar) -> None:
    assert cal.service_time(at(2026, 11, 11), at(2026, 11, 12)) == dt.timedelta()
    assert cal.closed_reason(dt.date(2026, 11, 11)) == "National Independence Day"
    # The day before and after are ordinary 8 h days.
    assert cal.service_time(at(2026, 11, 10), at(2026, 11, 13)) == hours(16)


@pytest.mark.parametrize(
    ("month_start", "month_end", "expected"),
    [
        # Dec 2025 starts on a Monday. Weekdays: 1-5, 8-12, 15-19, 22-26 (4 × 5) + 29-31 (3) = 23;
        # closed: 24 (Wed, Christmas Eve, a holiday from 2025), 25 (Thu), 26 (Fri) → 20 × 8 h.
        (at(2025, 12, 1), at(2026, 1, 1), hours(160)),
        # Dec 2026 starts on a Tuesday. Weekdays: 1-4 (4), 7-11, 14-18, 21-25 (15), 28-31 (4) = 23;
        # closed: 24 (Thu), 25 (Fri); 26 is a Saturday anyway → 21 × 8 h = 168 h.
        (at(2026, 12, 1), at(2027, 1, 1), hours(168)),
    ],
)
def test_december_without_christmas_eve_and_christmas(
    cal: ServiceCalendar, month_start: dt.datetime, month_end: dt.datetime, expected: dt.timedelta
) -> None:
    assert cal.service_time(month_start, month_end) == expected


def test_extra_closed_days_come_off_too() -> None:
    # Dec 2026 as above (21 days) less Thursday 31 December: 20 × 8 h.
    closed = business(closed=(dt.date(2026, 12, 31),))
    assert closed.service_time(at(2026, 12, 1), at(2027, 1, 1)) == hours(160)
    assert closed.closed_reason(dt.date(2026, 12, 31)) == "closed"


def test_year_2026_in_one_call() -> None:
    # 2026 starts on a Thursday and has 365 days: 52 weeks + one Thursday = 52 × 5 + 1 = 261
    # weekdays. Polish holidays on weekdays: 1 Jan (Thu), 6 Jan (Tue), 6 Apr (Easter Monday),
    # 1 May (Fri), 4 Jun (Corpus Christi, Thu), 11 Nov (Wed), 24 and 25 Dec (Thu, Fri) = 8;
    # 3 May, Pentecost, 15 Aug, 1 Nov and 26 Dec fall on weekends. 253 × 8 h = 2024 h.
    assert business().service_time(at(2026, 1, 1), at(2027, 1, 1)) == hours(2024)


def test_a_weekend_span_counts_only_the_weekdays(cal: ServiceCalendar) -> None:
    # Fri 20 Nov 16:00 → Mon 23 Nov 10:00 is 66 h on the clock: Fri 16-17 + Mon 9-10 = 2 h.
    assert cal.service_time(at(2026, 11, 20, 16), at(2026, 11, 23, 10)) == hours(2)
    assert cal.service_time(at(2026, 11, 21, 8), at(2026, 11, 22, 20)) == dt.timedelta()


def test_moments_in_other_zones_are_the_same_moments(cal: ServiceCalendar) -> None:
    # 08:00 UTC on 23 Nov is 09:00 in Warsaw (CET, UTC+1); 11:30 UTC is 12:30 Warsaw → 3.5 h.
    start = dt.datetime(2026, 11, 23, 8, tzinfo=dt.UTC)
    end = dt.datetime(2026, 11, 23, 11, 30, tzinfo=dt.UTC)
    assert cal.service_time(start, end) == hours(3.5)


def test_an_end_before_the_start_is_no_time(cal: ServiceCalendar) -> None:
    assert cal.service_time(at(2026, 11, 23, 12), at(2026, 11, 23, 10)) == dt.timedelta()


# ---- DST in Europe/Warsaw: 29 March 2026 (02:00 → 03:00) and 25 October 2026 (03:00 → 02:00)


def test_24_7_spring_forward_day_has_23_hours() -> None:
    assert always().service_time(at(2026, 3, 29), at(2026, 3, 30)) == hours(23)


def test_24_7_fall_back_day_has_25_hours() -> None:
    assert always().service_time(at(2026, 10, 25), at(2026, 10, 26)) == hours(25)


def test_24_7_months_with_a_clock_change() -> None:
    # March: 31 × 24 − 1 = 743 h; October: 31 × 24 + 1 = 745 h; November: 30 × 24 = 720 h.
    cal = always()
    assert cal.service_time(at(2026, 3, 1), at(2026, 4, 1)) == hours(743)
    assert cal.service_time(at(2026, 10, 1), at(2026, 11, 1)) == hours(745)
    assert cal.service_time(at(2026, 11, 1), at(2026, 12, 1)) == hours(720)


@pytest.mark.parametrize("day", [dt.date(2026, 3, 29), dt.date(2026, 10, 25)])
def test_a_nine_to_five_day_is_8_hours_on_a_clock_change_day(day: dt.date) -> None:
    # Both changes fall on Sundays, so this calendar opens every day.
    cal = ServiceCalendar("Europe/Warsaw", parse_hours({"mon-sun": "09:00-17:00"}))
    start = dt.datetime.combine(day, dt.time(), tzinfo=WARSAW)
    assert cal.service_time(start, start + dt.timedelta(days=2)) == hours(16)
    [(opens, closes)] = cal.intervals(day)
    assert opens.astimezone(WARSAW).hour == 9 and closes.astimezone(WARSAW).hour == 17


def test_a_business_span_across_the_spring_change_weekend(cal: ServiceCalendar) -> None:
    # Fri 27 Mar 16:00 → Mon 30 Mar 10:00 is 65 h on the clock (an hour lost on Sunday),
    # and Fri 16-17 + Mon 9-10 = 2 h of service time either way.
    assert cal.service_time(at(2026, 3, 27, 16), at(2026, 3, 30, 10)) == hours(2)


def test_24_7_deadlines_cross_the_clock_change_in_real_time() -> None:
    cal = always()
    # Sat 28 Mar 12:00 CET is 11:00 UTC; + 24 h = Sun 11:00 UTC = 13:00 CEST.
    assert cal.add_service_time(at(2026, 3, 28, 12), hours(24)) == at(2026, 3, 29, 13)
    # Sat 24 Oct 12:00 CEST is 10:00 UTC; + 24 h = Sun 10:00 UTC = 11:00 CET.
    assert cal.add_service_time(at(2026, 10, 24, 12), hours(24)) == at(2026, 10, 25, 11)


# ---- deadlines -----------------------------------------------------------------


def test_friday_half_past_four_plus_4_hours_is_monday_half_past_twelve(
    cal: ServiceCalendar,
) -> None:
    # Fri 20 Nov 16:30-17:00 = 0.5 h, then Mon 23 Nov 09:00 + 3.5 h = 12:30.
    due = cal.add_service_time(at(2026, 11, 20, 16, 30), hours(4))
    assert due == at(2026, 11, 23, 12, 30)
    assert due.tzinfo == WARSAW  # shown in the calendar's zone


def test_a_closed_monday_moves_the_deadline_to_tuesday() -> None:
    # The same Friday with Monday 23 Nov closed: Tue 24 Nov 09:00 + 3.5 h = 12:30.
    cal = business(closed=(dt.date(2026, 11, 23),))
    assert cal.add_service_time(at(2026, 11, 20, 16, 30), hours(4)) == at(2026, 11, 24, 12, 30)


def test_easter_monday_moves_the_deadline_to_tuesday(cal: ServiceCalendar) -> None:
    # Fri 3 Apr 2026 (Good Friday is a working day in Poland) 16:30-17:00 = 0.5 h;
    # Mon 6 Apr is Easter Monday; Tue 7 Apr 09:00 + 3.5 h = 12:30.
    assert cal.add_service_time(at(2026, 4, 3, 16, 30), hours(4)) == at(2026, 4, 7, 12, 30)


@pytest.mark.parametrize(
    ("opened", "due"),
    [
        # Tue 23 Dec 2025 16:00-17:00 = 1 h; 24, 25, 26 Dec are holidays, then the weekend;
        # Mon 29 Dec 09:00 + 1 h = 10:00.
        (at(2025, 12, 23, 16), at(2025, 12, 29, 10)),
        # Wed 23 Dec 2026 16:00-17:00 = 1 h; Thu 24 and Fri 25 are holidays, Sat 26 a
        # holiday and a Saturday; Mon 28 Dec 09:00 + 1 h = 10:00.
        (at(2026, 12, 23, 16), at(2026, 12, 28, 10)),
    ],
)
def test_christmas_eve_is_closed_in_2025_and_2026(
    cal: ServiceCalendar, opened: dt.datetime, due: dt.datetime
) -> None:
    assert cal.add_service_time(opened, hours(2)) == due


def test_a_deadline_that_fills_a_day_is_its_closing_time(cal: ServiceCalendar) -> None:
    # Tue 10 Nov 09:00 + 16 h: Tue 8 h, Wed 11 Nov closed, Thu 12 Nov 8 h → Thu 17:00,
    # not Fri 09:00.
    assert cal.add_service_time(at(2026, 11, 10, 9), hours(16)) == at(2026, 11, 12, 17)


def test_outside_hours_the_clock_starts_at_the_next_opening(cal: ServiceCalendar) -> None:
    # Sat 21 Nov 10:00: the clock starts Mon 23 Nov 09:00; + 30 min = 09:30.
    assert cal.add_service_time(at(2026, 11, 21, 10), dt.timedelta(minutes=30)) == at(
        2026, 11, 23, 9, 30
    )
    # Tue 24 Nov 07:15 starts at 09:00 the same day.
    assert cal.next_opening(at(2026, 11, 24, 7, 15)) == at(2026, 11, 24, 9)
    assert cal.next_opening(at(2026, 11, 24, 10, 5)) == at(2026, 11, 24, 10, 5)


def test_a_lunch_break_is_not_service_time() -> None:
    cal = ServiceCalendar(
        "Europe/Warsaw", parse_hours({"mon-fri": ["09:00-12:00", "13:00-17:00"]}), "PL"
    )
    # Mon 23 Nov 11:30 + 1 h: 11:30-12:00 = 0.5 h, 13:00 + 0.5 h = 13:30.
    assert cal.add_service_time(at(2026, 11, 23, 11, 30), hours(1)) == at(2026, 11, 23, 13, 30)
    # A day is 3 h + 4 h = 7 h.
    assert cal.service_time(at(2026, 11, 23), at(2026, 11, 24)) == hours(7)


def test_weekend_hours_of_their_own() -> None:
    cal = ServiceCalendar(
        "Europe/Warsaw", parse_hours({"mon-fri": "08:00-20:00", "sat": "10:00-14:00"})
    )
    # Mon 23 – Sun 29 Nov: 5 × 12 h + 4 h (Saturday) + 0 (Sunday) = 64 h.
    assert cal.service_time(at(2026, 11, 23), at(2026, 11, 30)) == hours(64)


def test_a_24_7_calendar_with_holidays_closes_whole_days() -> None:
    cal = ServiceCalendar("Europe/Warsaw", None, "PL")
    # 10-12 Nov 2026: 3 × 24 h less all of 11 Nov = 48 h.
    assert cal.service_time(at(2026, 11, 10), at(2026, 11, 13)) == hours(48)


def test_a_zero_duration_is_due_at_once(cal: ServiceCalendar) -> None:
    assert cal.add_service_time(at(2026, 11, 21, 10), dt.timedelta()) == at(2026, 11, 21, 10)


# ---- words and bad input ----------------------------------------------------------


def test_describe_in_words() -> None:
    assert business(closed=(dt.date(2026, 12, 31),)).describe() == (
        "Mon–Fri 09:00–17:00 (Europe/Warsaw time), closed on public holidays in Poland "
        "and 2026-12-31"
    )
    assert always().describe() == "24/7 (Europe/Warsaw time)"
    split = ServiceCalendar(
        "UTC", parse_hours({"mon-thu": "08:00-16:00", "fri": "08:00-14:00", "sun": "00:00-24:00"})
    )
    assert split.describe() == "Mon–Thu 08:00–16:00; Fri 08:00–14:00; Sun 00:00–24:00 (UTC time)"


def test_naive_datetimes_are_refused(cal: ServiceCalendar) -> None:
    with pytest.raises(UsageError, match="no time zone"):
        cal.service_time(dt.datetime(2026, 11, 23, 9), at(2026, 11, 23, 10))
    with pytest.raises(UsageError, match="no time zone"):
        cal.add_service_time(dt.datetime(2026, 11, 23, 9), hours(1))


def test_bad_calendars_are_usage_errors() -> None:
    with pytest.raises(UsageError, match=r"unknown time zone 'Europe/Warsw'.*Europe/Warsaw"):
        ServiceCalendar("Europe/Warsw")
    with pytest.raises(UsageError, match="unknown holidays country 'XX'"):
        ServiceCalendar("UTC", None, "XX")
    with pytest.raises(UsageError, match="negative"):
        always().add_service_time(at(2026, 11, 23), -hours(1))


def test_a_calendar_with_no_service_ever_says_so() -> None:
    days = {dt.date(2026, 11, 23) + dt.timedelta(days=n) for n in range(4000)}
    cal = ServiceCalendar("UTC", None, None, frozenset(days))
    with pytest.raises(UsageError, match="no service time"):
        cal.add_service_time(dt.datetime(2026, 11, 23, tzinfo=dt.UTC), hours(1))
