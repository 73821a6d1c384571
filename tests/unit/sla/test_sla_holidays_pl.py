"""Poland's 24 December (Wigilia) is a public holiday from 2025, and the SLA calendar knows it.

The ``holidays`` package learnt it in 0.64 (0.63 and older say 24 December
2025 is a working day: checked by installing both), so pyproject.toml asks for
at least that release; an older one would count Christmas Eve as service time.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from tests.unit.sla.conftest import at, business, hours

FIRST_WITH_WIGILIA = Version("0.64")
PYPROJECT = Path(__file__).parents[3] / "pyproject.toml"


@pytest.mark.parametrize("year", [2025, 2026])
def test_christmas_eve_is_closed_on_the_polish_calendar(year: int) -> None:
    calendar = business()  # Mon–Fri 09:00–17:00 Europe/Warsaw, Polish holidays
    eve = dt.date(year, 12, 24)
    assert eve.weekday() < 5  # a weekday: only the holiday closes it
    assert calendar.closed_reason(eve) is not None
    assert calendar.hours(eve) == ()
    assert calendar.service_time(at(year, 12, 24), at(year, 12, 25)) == dt.timedelta(0)


def test_a_deadline_runs_over_christmas_eve_not_through_it() -> None:
    # Tuesday 23 December 2025, 16:00, four service hours: one that day, then
    # 24, 25 and 26 December are holidays, so the other three are on Monday 29th.
    due = business().add_service_time(at(2025, 12, 23, 16), hours(4))
    assert due == at(2025, 12, 29, 12)


def test_the_required_holidays_release_knows_wigilia() -> None:
    declared = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    (holidays,) = [Requirement(d) for d in declared if Requirement(d).name == "holidays"]
    lowest = [Version(s.version) for s in holidays.specifier if s.operator in (">=", "==")]
    assert lowest and min(lowest) >= FIRST_WITH_WIGILIA, str(holidays)
