"""The inventory's sla: section: what it accepts, and how it words what it refuses."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from tests.unit.sla.conftest import at, hours
from upkeep.inventory import sla as policy_module
from upkeep.inventory import yamldoc
from upkeep.inventory.durations import format_duration, read_duration
from upkeep.inventory.model import Model
from upkeep.inventory.priority import Priority
from upkeep.inventory.problems import from_validation
from upkeep.inventory.service_calendar import format_hours, parse_hours
from upkeep.inventory.sla import SlaPolicy

EXAMPLE = """\
target: 99.9
calendar:
  timezone: Europe/Warsaw
  hours: {mon-fri: "09:00-17:00"}
  holidays: PL
  closed: [2026-12-31]
priorities:
  P1: {response: 30m, resolution: 4h}
  P2: {response: 2h, resolution: 16h}
  P4: {response: 1h30m, resolution: 40h}
"""


def _load(text: str) -> SlaPolicy:
    return SlaPolicy.model_validate(yamldoc.parse(text).data)


def _problems(text: str) -> list[str]:
    """The lines the inventory loader prints for this sla: section (file sla.yml)."""
    doc = yamldoc.parse(text)
    with pytest.raises(ValidationError) as caught:
        SlaPolicy.model_validate(doc.data)
    return [str(p) for p in from_validation("sla.yml", doc, caught.value, SlaPolicy)]


def _with(**changes: Any) -> str:
    """EXAMPLE with one calendar or priority line replaced."""
    text = EXAMPLE
    for old, new in changes.items():
        key = {"tz": "timezone: Europe/Warsaw", "hours": 'hours: {mon-fri: "09:00-17:00"}'}.get(
            old, old
        )
        assert key in text
        text = text.replace(key, new)
    return text


def test_the_documented_example_reads_into_values() -> None:
    policy = _load(EXAMPLE)
    assert policy.target == 99.9
    assert policy.calendar.closed == (dt.date(2026, 12, 31),)
    p1 = policy.priorities.deadlines(Priority.P1)
    assert p1 is not None and (p1.response, p1.resolution) == (hours(0.5), hours(4))
    p4 = policy.priorities.deadlines("P4")
    assert p4 is not None and p4.response == hours(1.5)
    assert policy.priorities.deadlines("P3") is None  # not named: no deadlines
    cal = policy.service_calendar
    assert cal.week == parse_hours({"mon-fri": "09:00-17:00"})
    assert cal.holidays == "PL"
    # The section's calendar is the real one: 31 Dec 2026 (Thursday) has no service time.
    assert cal.service_time(at(2026, 12, 31), at(2027, 1, 1)) == dt.timedelta()


def test_it_dumps_back_to_what_was_written() -> None:
    policy = _load(EXAMPLE)
    dumped = policy.model_dump()
    assert dumped["priorities"]["P4"] == {"response": "1h30m", "resolution": "40h"}
    assert dumped["calendar"]["hours"] == {"mon-fri": "09:00-17:00"}
    assert SlaPolicy.model_validate(dumped) == policy


@pytest.mark.parametrize("hours_line", ["hours: 24/7", "hours:", ""])
def test_24_7_is_written_by_leaving_hours_out(hours_line: str) -> None:
    policy = _load(_with(hours=hours_line).replace("1h30m", "1d"))
    assert policy.calendar.hours is None
    # 24/7 in Warsaw, closed on 31 Dec and Polish holidays: 1–3 Dec 2026 are 3 × 24 h.
    assert policy.service_calendar.service_time(at(2026, 12, 1), at(2026, 12, 4)) == hours(72)
    # On 24/7, a day is 24 h, unambiguously.
    p4 = policy.priorities.deadlines("P4")
    assert p4 is not None and p4.response == hours(24)


def test_several_ranges_a_day_and_full_day_names() -> None:
    policy = _load(
        _with(hours='hours: {monday-friday: ["08:00-12:00", "13:00-16:00"], sat: "10:00-12:00"}')
    )
    # Mon 23 – Sun 29 Nov 2026: 5 × (4 h + 3 h) + 2 h = 37 h.
    assert policy.service_calendar.service_time(at(2026, 11, 23), at(2026, 11, 30)) == hours(37)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30m", 1800),
        ("4h", 14400),
        ("1h30m", 5400),
        ("1h 30m", 5400),
        ("2d", 172800),
        ("90m", 5400),
    ],
)
def test_durations(text: str, seconds: int) -> None:
    assert read_duration(text) == dt.timedelta(seconds=seconds)


def test_durations_format_back_in_hours_and_minutes() -> None:
    assert [format_duration(read_duration(t)) for t in ("30m", "4h", "90m", "2d")] == [
        "30m",
        "4h",
        "1h30m",
        "48h",
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"tz": "timezone: Europe/Warsw"},
            "sla.yml:3: calendar.timezone: unknown time zone 'Europe/Warsw' "
            "(did you mean 'Europe/Warsaw'?)",
        ),
        (
            {"hours": 'hours: {mon-fri: "17:00-09:00"}'},
            "sla.yml:4: calendar.hours: mon-fri: '17:00-09:00' ends before it starts",
        ),
        (
            {"hours": 'hours: {mon-fry: "09:00-17:00"}'},
            "sla.yml:4: calendar.hours: unknown day 'fry' in 'mon-fry' (did you mean 'fri'?)",
        ),
        (
            {"hours": 'hours: {fri-mon: "09:00-17:00"}'},
            "sla.yml:4: calendar.hours: 'fri-mon' runs backwards",
        ),
        (
            {"hours": 'hours: {mon-fri: "09:00-17:00", fri: "18:00-20:00"}'},
            "sla.yml:4: calendar.hours: fri is given twice (in 'mon-fri' and 'fri'",
        ),
        (
            {"hours": 'hours: {mon-fri: ["09:00-13:00", "12:00-17:00"]}'},
            "sla.yml:4: calendar.hours: mon-fri: the ranges 09:00–13:00, 12:00–17:00 overlap",
        ),
        (
            {"hours": 'hours: {mon-fri: "9-17"}'},
            "sla.yml:4: calendar.hours: mon-fri: '9-17' is not a range such as \"09:00-17:00\"",
        ),
        (
            {"hours": 'hours: {mon-fri: "09:00-24:30"}'},
            "sla.yml:4: calendar.hours: mon-fri: '09:00-24:30' is not a range",
        ),
        (
            {"holidays: PL": "holidays: XX"},
            "sla.yml:5: calendar.holidays: unknown holidays country 'XX'",
        ),
        (
            {"holidays: PL": "holidays: DE-XX"},
            "sla.yml:5: calendar.holidays: DE has no subdivision 'XX'",
        ),
        (
            {"closed: [2026-12-31]": 'closed: ["2026-02-30"]'},
            "sla.yml:6: calendar.closed[0]: expected a date such as 2026-12-31, got '2026-02-30'",
        ),
        (
            {"response: 30m": "response: 30 minutes"},
            "sla.yml:8: priorities.P1.response: expected a duration such as 30m, 4h or 1h30m, "
            "got '30 minutes'",
        ),
        (
            {"response: 30m": "response: 30"},
            "sla.yml:8: priorities.P1.response: expected a duration such as 30m, 4h or 1h30m, "
            "got int 30",
        ),
        (
            {"response: 30m": "response: 0m"},
            "sla.yml:8: priorities.P1.response: '0m' is no time at all",
        ),
        (
            {"response: 30m": "response: 5h"},
            "sla.yml:8: priorities.P1: response 5h is later than resolution 4h",
        ),
        (
            {"resolution: 16h": "resolution: 2d"},
            "sla.yml:7: priorities: P2.resolution: '2d' counts days, and a day is 24 h of "
            "service time, not one working day",
        ),
        (
            {"P4:": "P5:"},
            "sla.yml:10: priorities.P5: unknown key (known keys: P1, P2, P3, P4)",
        ),
        ({"target: 99.9": "target: 0.999"}, "sla.yml:1: target: 0.999 looks like a fraction"),
        ({"target: 99.9": "target: 100.5"}, "sla.yml:1: target: 100.5 is not a percentage"),
        ({"target: 99.9": "target: yes"}, "sla.yml:1: target: expected a percentage such as 99.9"),
        (
            {"hours": 'hours: {wednesdy: "09:00-17:00"}'},
            "sla.yml:4: calendar.hours: unknown day 'wednesdy' in 'wednesdy' (did you mean 'wed'?)",
        ),
    ],
)
def test_bad_input_is_one_line_naming_the_place(change: dict[str, str], expected: str) -> None:
    problems = _problems(_with(**change))
    assert len(problems) == 1, problems
    assert problems[0].startswith(expected), problems[0]


@pytest.mark.parametrize("written", ['"99.95%"', '"99.95"', "99.95 %"])
def test_a_percent_sign_or_quotes_are_fine(written: str) -> None:
    assert _load(EXAMPLE.replace("target: 99.9", f"target: {written}")).target == 99.95


def test_the_calendar_follows_the_section_it_was_made_from() -> None:
    business_hours = _load(EXAMPLE)
    round_the_clock = business_hours.model_copy(
        update={"calendar": _load(_with(hours="")).calendar}
    )
    # 1–3 Dec 2026 (Tue–Thu): 3 × 8 h on business hours, 3 × 24 h round the clock.
    span = (at(2026, 12, 1), at(2026, 12, 4))
    assert business_hours.service_calendar.service_time(*span) == hours(24)
    assert round_the_clock.service_calendar.service_time(*span) == hours(72)
    assert business_hours.service_calendar is business_hours.service_calendar  # built once


def test_the_models_share_the_inventory_models_config() -> None:
    # One base for every section (upkeep.inventory.base).
    for model in (policy_module.SlaPolicy, policy_module.CalendarPolicy, policy_module.Deadlines):
        assert issubclass(model, Model)
        assert model.model_config == Model.model_config


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ({"mon-fri": "09:00-17:00"}, {"mon-fri": "09:00-17:00"}),
        (
            {
                "mon": "09:00-17:00",
                "tue-thu": "09:00-17:00",
                "friday": ["09:00-12:00", "12:00-15:00"],
            },
            {"mon-thu": "09:00-17:00", "fri": "09:00-15:00"},
        ),
        (
            {"sat-sun": ["00:00-06:00", "22:00-24:00"], "wed": "10:00-11:00"},
            {"wed": "10:00-11:00", "sat-sun": ["00:00-06:00", "22:00-24:00"]},
        ),
    ],
)
def test_hours_are_written_back_in_one_canonical_form(
    written: dict[str, Any], canonical: dict[str, Any]
) -> None:
    week = parse_hours(written)
    assert format_hours(week) == canonical
    assert parse_hours(format_hours(week)) == week
