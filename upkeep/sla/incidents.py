"""Incidents and maintenance windows as the SLA sees them, and each incident's deadlines.

The monitoring history opens and closes incidents; this module only judges
them. A deadline is counted on the service calendar from the moment the
incident opened, over the incident as a whole (one that runs into the next
month keeps the deadlines it started with); maintenance windows excuse
downtime but do not stop that clock. Anything stamped after the report's
``now`` has not happened yet as far as the report knows.

    >>> from upkeep.inventory.service_calendar import ServiceCalendar, parse_hours
    >>> cal = ServiceCalendar("Europe/Warsaw", parse_hours({"mon-fri": "09:00-17:00"}))
    >>> at = lambda day, hour, minute=0: dt.datetime(2026, 11, day, hour, minute, tzinfo=cal.zone)
    >>> incident = SlaIncident("7", "health", "production", "P1", opened=at(20, 16, 30),
    ...                     responded=at(20, 16, 45), resolved=at(23, 13))
    >>> deadline = judge(incident.opened, dt.timedelta(hours=4), incident.resolved, cal, now=at(30, 9))
    >>> deadline.due.isoformat(), deadline.status.value
    ('2026-11-23T12:30:00+01:00', 'missed')
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from upkeep.errors import UsageError
from upkeep.inventory.priority import Priority
from upkeep.inventory.service_calendar import Interval, ServiceCalendar
from upkeep.inventory.sla import Priorities


class DeadlineStatus(StrEnum):
    MET = "met"
    MISSED = "missed"
    PENDING = "pending"  # not done yet, and not yet due
    NO_TARGET = "no target"  # the SLA sets no deadline for this priority


@dataclass(frozen=True)
class SlaIncident:
    """One incident as the SLA clock sees it: when it opened, was answered and resolved.

    Made from the monitoring history's record (upkeep.monitor.incidents.Incident,
    by upkeep.sla.monthly); this view carries only what the deadlines and the
    downtime need (aware datetimes).
    """

    id: str | int
    check: str
    environment: str
    priority: Priority | str | None  # "P1" is read as Priority.P1; None: not triaged, no deadlines
    opened: dt.datetime
    responded: dt.datetime | None = None  # someone acknowledged it
    resolved: dt.datetime | None = None  # the check passes again
    affects_availability: bool = True  # False: a warning (say, a certificate expiring soon)
    summary: str = ""
    # When the site went down, if later than it opened (a slow page that then failed).
    down_since: dt.datetime | None = None
    # Checks that failed only because of this one (the site down takes its certificate
    # check with it): one line each, shown under it, costing no time of their own.
    consequences: tuple[str, ...] = ()
    # The check locations that agreed it was down (upkeep.monitor.quorum); (): one unnamed place.
    locations: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", str(self.id))
        where = f"incident {self.id}"
        if self.priority is not None:
            try:
                priority = Priority(str(self.priority).strip().upper())
            except ValueError:
                raise UsageError(
                    f"{where}: unknown priority {self.priority!r} (use P1, P2, P3 or P4)"
                ) from None
            object.__setattr__(self, "priority", priority)
        _aware(self.opened, where, "opened")
        for name in ("responded", "resolved", "down_since"):
            moment = getattr(self, name)
            if moment is None:
                continue
            _aware(moment, where, name)
            if moment < self.opened:
                raise UsageError(
                    f"{where}: {name} {moment.isoformat()} is before it opened "
                    f"({self.opened.isoformat()})"
                )
        if self.down_since and self.resolved and self.down_since > self.resolved:
            raise UsageError(
                f"{where}: down_since {self.down_since.isoformat()} is after it was resolved "
                f"({self.resolved.isoformat()})"
            )

    def outage(self, now: dt.datetime) -> Interval | None:
        """The time it kept the site down, as known at ``now`` (UTC); None if it did not."""
        down = self.down_since or self.opened
        if not self.affects_availability or down >= now:
            return None
        end = self.resolved if self.resolved is not None and self.resolved <= now else now
        return down.astimezone(dt.UTC), end.astimezone(dt.UTC)


@dataclass(frozen=True)
class Maintenance:
    """Announced maintenance: downtime inside it is not counted against the SLA."""

    start: dt.datetime
    end: dt.datetime
    reason: str = ""

    def __post_init__(self) -> None:
        where = f"maintenance {self.reason or 'window'}"
        _aware(self.start, where, "start")
        _aware(self.end, where, "end")
        if self.end < self.start:
            raise UsageError(
                f"{where}: ends ({self.end.isoformat()}) before it starts "
                f"({self.start.isoformat()})"
            )

    @property
    def interval(self) -> Interval:
        return self.start.astimezone(dt.UTC), self.end.astimezone(dt.UTC)


@dataclass(frozen=True)
class Deadline:
    due: dt.datetime | None  # None: no target
    done: dt.datetime | None  # when it happened, if it has by ``now``
    status: DeadlineStatus


def judge(
    opened: dt.datetime,
    allowed: dt.timedelta | None,
    done: dt.datetime | None,
    calendar: ServiceCalendar,
    now: dt.datetime,
) -> Deadline:
    """Met, missed or pending: ``allowed`` service time after ``opened``, as known at ``now``."""
    if done is not None and done > now:
        done = None  # it happens after the report's moment: not known yet
    if allowed is None:
        return Deadline(None, done, DeadlineStatus.NO_TARGET)
    due = calendar.add_service_time(opened, allowed)
    if done is not None:
        return Deadline(due, done, DeadlineStatus.MET if done <= due else DeadlineStatus.MISSED)
    return Deadline(due, None, DeadlineStatus.MISSED if now > due else DeadlineStatus.PENDING)


@dataclass(frozen=True)
class IncidentDeadlines:
    response: Deadline
    resolution: Deadline


def deadlines(
    incident: SlaIncident, priorities: Priorities, calendar: ServiceCalendar, now: dt.datetime
) -> IncidentDeadlines:
    """The incident's response and resolution deadlines, each met, missed or pending.

    A resolution with no response recorded counts as the response too: a site
    that recovered (or was fixed) before anyone acknowledged it was answered.
    """
    promised = priorities.deadlines(incident.priority) if incident.priority else None
    responded = incident.responded if incident.responded is not None else incident.resolved
    return IncidentDeadlines(
        response=judge(
            incident.opened,
            promised.response if promised else None,
            responded,
            calendar,
            now,
        ),
        resolution=judge(
            incident.opened,
            promised.resolution if promised else None,
            incident.resolved,
            calendar,
            now,
        ),
    )


def _aware(moment: object, where: str, name: str) -> None:
    if not isinstance(moment, dt.datetime) or moment.utcoffset() is None:
        raise UsageError(f"{where}: {name} {moment!r} has no time zone (give an aware datetime)")
