"""One duration grammar: everything either old grammar accepted still parses, to the same value."""

from __future__ import annotations

import datetime as dt

import pytest

from upkeep.inventory.checks import CHECKS
from upkeep.inventory.conditions import parse
from upkeep.inventory.durations import format_duration, parse_duration, read_duration
from upkeep.inventory.sla import SlaPolicy

# What upkeep.monitor.conditions.parse_duration accepted (conditions, check intervals).
CONDITION_FORMS = {
    "800ms": 0.8,
    "30s": 30,
    "5m": 300,
    "1h30m": 5400,
    "72h": 259200,
    "30d": 2592000,
    "1.5s": 1.5,
    "30m30m": 3600,  # parts add up, in any order
    "0s": 0,
}
# What upkeep.sla.policy.parse_duration accepted (SLA deadlines).
SLA_FORMS = {
    "30m": 1800,
    "4h": 14400,
    "1h30m": 5400,
    "1h 30m": 5400,
    "2d": 172800,
    "90m": 5400,
    "1d 2h 3m": 93780,
    "2 h": 7200,
    " 4H ": 14400,
    "2D": 172800,
}


@pytest.mark.parametrize(("text", "seconds"), CONDITION_FORMS.items())
def test_the_condition_forms_parse_as_before(text: str, seconds: float) -> None:
    assert parse_duration(text).total_seconds() == pytest.approx(seconds)
    assert read_duration(text).total_seconds() == pytest.approx(seconds)


@pytest.mark.parametrize(("text", "seconds"), SLA_FORMS.items())
def test_the_sla_forms_parse_as_before(text: str, seconds: int) -> None:
    assert read_duration(text) == dt.timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["1h 30m", "5S", " 4h"])
def test_a_condition_literal_is_one_token(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration"):
        parse_duration(text)


@pytest.mark.parametrize("value", ["", "30 minutes", "1 5m", "5", "m5", "-5s", 30, None])
def test_what_neither_accepted_is_refused(value: object) -> None:
    with pytest.raises(ValueError, match="expected a duration such as 30m, 4h or 1h30m"):
        read_duration(value)


def test_the_same_limit_for_both() -> None:
    for parse_one in (parse_duration, read_duration):
        with pytest.raises(ValueError, match="too long a duration"):
            parse_one("99999999999d")


def test_the_sections_take_the_superset() -> None:
    # An SLA deadline may now be written as a condition would (seconds, decimals) ...
    policy = SlaPolicy.model_validate(
        {
            "target": 99.9,
            "calendar": {"timezone": "UTC"},
            "priorities": {"P1": {"response": "90s", "resolution": "1.5h"}},
        }
    )
    deadlines = policy.priorities.deadlines("P1")
    assert deadlines is not None
    assert (deadlines.response, deadlines.resolution) == (
        dt.timedelta(seconds=90),
        dt.timedelta(minutes=90),
    )
    # ... and written back so that it reads the same.
    dumped = policy.model_dump()["priorities"]["P1"]
    assert dumped == {"response": "1m30s", "resolution": "1h30m"}
    assert [read_duration(text) for text in dumped.values()] == [
        deadlines.response,
        deadlines.resolution,
    ]
    # A condition and a check interval read the grammar as before.
    assert parse("[RESPONSE_TIME] < 1h30m").right.numbers == (5400000.0,)
    (check,) = CHECKS.validate_python([{"name": "x", "kind": "disk", "interval": "1h30m"}])
    assert check.interval == 5400


@pytest.mark.parametrize(
    ("seconds", "text"), [(5400, "1h30m"), (172800, "48h"), (0, "0m"), (0.8, "0.8s"), (60, "1m")]
)
def test_formatting(seconds: float, text: str) -> None:
    assert format_duration(dt.timedelta(seconds=seconds)) == text
