"""A project's SLA as the inventory writes it: target, service calendar, priorities.

    sla:
      target: 99.9                  # percent of the month's service time
      calendar:
        timezone: Europe/Warsaw
        hours: {mon-fri: "09:00-17:00"}   # omit (or write 24/7) for round the clock
        holidays: PL                # public holidays are closed (DE-BY: a region)
        closed: [2026-12-31]        # further closed days
      priorities:                   # any of P1-P4; a priority left out has no deadlines
        P1: {response: 30m, resolution: 4h}
        P2: {response: 2h, resolution: 16h}

Durations are service time: the clock runs only during the calendar's hours,
so "4h" from Friday 16:30 on Mon–Fri 09:00–17:00 ends Monday 12:30. They are
written in upkeep.inventory.durations' grammar (``30m``, ``1h30m``, ``1h 30m``).
A day is 24 h, and so ``d`` is allowed only on a 24/7 calendar: on business
hours "1d" would read as one working day to one person and as three to
another, so write the hours (one 09:00–17:00 day is ``8h``).

    >>> policy = SlaPolicy.model_validate(
    ...     {"target": 99.9, "calendar": {"timezone": "Europe/Warsaw", "hours": {"mon-fri": "09:00-17:00"}},
    ...      "priorities": {"P1": {"response": "30m", "resolution": "4h"}}})
    >>> policy.priorities.deadlines("P1").resolution
    datetime.timedelta(seconds=14400)
    >>> policy.service_calendar.describe()
    'Mon–Fri 09:00–17:00 (Europe/Warsaw time)'
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    PlainSerializer,
    ValidationInfo,
    field_validator,
    model_validator,
)

from upkeep.inventory.base import Model
from upkeep.inventory.durations import format_duration, read_duration
from upkeep.inventory.priority import Priority
from upkeep.inventory.service_calendar import (
    ServiceCalendar,
    Week,
    format_hours,
    holiday_lookup,
    parse_hours,
    parse_timezone,
)

_DAY_UNIT = re.compile(r"\d\s*d")
ALWAYS = "24/7"


def _deadline(value: Any) -> dt.timedelta:
    """A deadline: a duration (upkeep.inventory.durations) above zero."""
    duration = read_duration(value)
    if not duration:
        raise ValueError(f"{value!r} is no time at all (give a deadline above zero)")
    return duration


def _percent(value: Any) -> float:
    if isinstance(value, str):  # "99.9" and "99.9%" mean what they say
        with contextlib.suppress(ValueError):
            value = float(value.strip().removesuffix("%"))
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise ValueError(f"expected a percentage such as 99.9, got {value!r}")
    if not 0 < value <= 100:
        raise ValueError(f"{value} is not a percentage above 0 and at most 100 (such as 99.9)")
    if value <= 1:
        raise ValueError(f"{value} looks like a fraction; write the percentage (0.999 is 99.9)")
    return float(value)


def _closed_day(value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"expected a date such as 2026-12-31, got {value!r}")


def _hours(value: Any) -> Any:
    if value is None or (isinstance(value, str) and value.strip() == ALWAYS):
        return None
    if isinstance(value, Mapping):
        return parse_hours(value)
    if isinstance(value, tuple):  # already a Week (a model_copy, say)
        return value
    raise ValueError(f'expected days and hours such as {{mon-fri: "09:00-17:00"}} or {ALWAYS}')


def _timezone(value: Any) -> str:
    return parse_timezone(value).key


def _holidays(value: Any) -> str:
    holiday_lookup(value)
    return str(value).strip().upper()


Duration = Annotated[dt.timedelta, BeforeValidator(_deadline), PlainSerializer(format_duration)]
Percent = Annotated[float, BeforeValidator(_percent)]
TimeZoneName = Annotated[str, AfterValidator(_timezone)]
HolidaysCode = Annotated[str, AfterValidator(_holidays)]
Hours = Annotated[
    Week | None,
    BeforeValidator(_hours),
    PlainSerializer(lambda week: None if week is None else format_hours(week)),
]
ClosedDay = Annotated[dt.date, BeforeValidator(_closed_day)]


class Deadlines(Model):
    """How soon someone answers, and how soon it is fixed, in service time."""

    response: Duration
    resolution: Duration

    @model_validator(mode="after")
    def _response_first(self) -> Deadlines:
        if self.response > self.resolution:
            raise ValueError(
                f"response {format_duration(self.response)} is later than resolution "
                f"{format_duration(self.resolution)} (a fix includes the answer)"
            )
        return self


class Priorities(Model):
    P1: Deadlines | None = None
    P2: Deadlines | None = None
    P3: Deadlines | None = None
    P4: Deadlines | None = None

    def deadlines(self, priority: Priority | str) -> Deadlines | None:
        """The deadlines promised for ``priority``; None if the SLA names none."""
        value: Deadlines | None = getattr(self, Priority(priority).value)
        return value


class CalendarPolicy(Model):
    timezone: TimeZoneName
    hours: Hours = None  # parsed; None: 24/7
    holidays: HolidaysCode | None = None
    closed: tuple[ClosedDay, ...] = ()

    def service_calendar(self) -> ServiceCalendar:
        return ServiceCalendar(self.timezone, self.hours, self.holidays, frozenset(self.closed))


class SlaPolicy(Model):
    """The ``sla:`` section of a project."""

    target: Percent
    calendar: CalendarPolicy
    priorities: Priorities = Priorities()

    @field_validator("priorities", mode="before")
    @classmethod
    def _no_days_on_business_hours(cls, value: Any, info: ValidationInfo) -> Any:
        calendar = info.data.get("calendar")
        if calendar is None or calendar.hours is None or not isinstance(value, Mapping):
            return value
        for priority, deadlines in value.items():
            if not isinstance(deadlines, Mapping):
                continue
            for kind in ("response", "resolution"):
                text = deadlines.get(kind)
                if isinstance(text, str) and _DAY_UNIT.search(text):
                    raise ValueError(
                        f"{priority}.{kind}: {text!r} counts days, and a day is 24 h of service "
                        "time, not one working day; on business hours write the service hours "
                        "(8h is one 09:00-17:00 day)"
                    )
        return value

    @property
    def service_calendar(self) -> ServiceCalendar:
        return _service_calendar(self.calendar)


@lru_cache(maxsize=64)
def _service_calendar(calendar: CalendarPolicy) -> ServiceCalendar:
    # Keyed on the frozen section itself, so a model_copy with another calendar never
    # sees a stale one; the holidays lookup inside is built once per calendar.
    return calendar.service_calendar()
