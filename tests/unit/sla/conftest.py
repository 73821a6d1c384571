"""Calendars and moments the SLA tests share: Europe/Warsaw, as the agency's clients."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from upkeep.inventory.service_calendar import ServiceCalendar, parse_hours
from upkeep.inventory.sla import SlaPolicy

WARSAW = ZoneInfo("Europe/Warsaw")
NINE_TO_FIVE = {"mon-fri": "09:00-17:00"}


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """A Warsaw wall-clock moment."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=WARSAW)


def hours(n: float) -> dt.timedelta:
    return dt.timedelta(hours=n)


def business(holidays: str | None = "PL", closed: tuple[dt.date, ...] = ()) -> ServiceCalendar:
    """Mon–Fri 09:00–17:00 Europe/Warsaw, without Polish public holidays."""
    return ServiceCalendar("Europe/Warsaw", parse_hours(NINE_TO_FIVE), holidays, frozenset(closed))


def always() -> ServiceCalendar:
    return ServiceCalendar("Europe/Warsaw")


def policy(target: float = 99.9, **calendar: object) -> SlaPolicy:
    """The agency's usual SLA: business hours in Warsaw, Polish holidays, P1–P4."""
    spec: dict[str, object] = {"timezone": "Europe/Warsaw", "hours": NINE_TO_FIVE, "holidays": "PL"}
    spec.update(calendar)
    return SlaPolicy.model_validate(
        {
            "target": target,
            "calendar": spec,
            "priorities": {
                "P1": {"response": "30m", "resolution": "4h"},
                "P2": {"response": "2h", "resolution": "16h"},
                "P3": {"response": "8h", "resolution": "40h"},
            },
        }
    )


@pytest.fixture
def cal() -> ServiceCalendar:
    return business()
