"""A month's (or a year's) SLA report for one project: a value (upkeep.reports.sla renders it).

``build_report`` is pure: policy, incidents and maintenance windows in, a
frozen ``SlaReport`` out, judged as of ``now``; ``to_dict`` is its JSON.

    >>> from upkeep.inventory.sla import SlaPolicy
    >>> policy = SlaPolicy.model_validate({"target": 99.5, "calendar": {"timezone": "UTC"}})
    >>> now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    >>> watched = [(dt.datetime(2026, 11, 1, tzinfo=dt.UTC), now)]
    >>> report = build_report(policy, "demo", "2026-11", incidents=[], maintenance=[], now=now,
    ...                       observed=watched)
    >>> report.availability.verdict, report.to_dict()["availability_percent"]
    ('met', 100.0)

A year is judged as a whole and month by month (contracts state their
downtime as hours a year):

    >>> year = build_report(policy, "demo", "2026", [], [], now=now, observed=watched)
    >>> year.is_year, [month["verdict"] for month in year.to_dict()["months"][9:]]
    (True, ['not observed', 'met', 'not begun'])

A month no check result watched gets no verdict:

    >>> blind = build_report(policy, "demo", "2026-11", [], [], now=now, observed=[])
    >>> blind.availability.verdict, blind.to_dict()["availability_percent"]
    ('not observed', None)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from upkeep.errors import UsageError
from upkeep.inventory.service_calendar import Interval, ServiceCalendar
from upkeep.inventory.sla import SlaPolicy
from upkeep.sla.availability import (
    OBSERVATION_GAP,
    Availability,
    Day,
    intersect,
    measure,
    merge,
    months_of,
    period_bounds,
    service_downtime,
)
from upkeep.sla.incidents import Deadline, Maintenance, SlaIncident, deadlines

FORMAT = "upkeep-sla/1"  # the JSON document's version


@dataclass(frozen=True)
class IncidentLine:
    """One incident as the month's report sees it."""

    incident: SlaIncident
    response: Deadline
    resolution: Deadline
    downtime: dt.timedelta  # its counted service-time downtime in this month
    excused: dt.timedelta  # its downtime inside maintenance in this month


@dataclass(frozen=True)
class SlaReport:
    project: str
    period: str  # YYYY-MM, a month; or YYYY, a year
    now: dt.datetime  # the moment the report judges as of (in the calendar's zone)
    calendar: ServiceCalendar
    availability: Availability
    incidents: tuple[IncidentLine, ...]  # those open at some point in the month, by opening
    maintenance: tuple[Maintenance, ...]  # those overlapping the month
    observation_gap: dt.timedelta = OBSERVATION_GAP  # how long one result vouched for at most
    months: tuple[Availability, ...] = ()  # a year's, each judged on its own
    year_to_date: Availability | None = None  # a month's year, from 1 January to its end
    # Where production was checked from in the period (upkeep.monitor.quorum); (): one
    # unnamed place.
    locations: tuple[str, ...] = ()

    @property
    def is_year(self) -> bool:
        return len(self.period) == 4

    def local(self, moment: dt.datetime | None) -> dt.datetime | None:
        return None if moment is None else moment.astimezone(self.calendar.zone)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON values: times in ISO 8601 in the calendar's zone, durations in seconds."""
        a = self.availability
        return {
            "format": FORMAT,
            "project": self.project,
            ("year" if self.is_year else "month"): self.period,
            "generated": _iso(self.local(self.now)),
            "calendar": {
                "timezone": self.calendar.timezone,
                "description": self.calendar.describe(),
                "closed_days": [
                    {"date": day.date.isoformat(), "reason": day.closed_reason}
                    for day in a.days
                    if day.closed_reason is not None
                ],
            },
            "period": {
                "start": _iso(self.local(a.start)),
                "end": _iso(self.local(a.end)),
                "measured_until": _iso(self.local(a.until)),
                "complete": a.complete,
            },
            "target_percent": float(a.target),
            "availability_percent": None if a.percent is None else float(a.percent),
            "verdict": a.verdict,
            "observation": {"max_gap_seconds": self.observation_gap.total_seconds()},
            "locations": list(self.locations),
            "seconds": {
                "service": a.service.total_seconds(),
                "measured": a.measured.total_seconds(),
                "observed": a.observed.total_seconds(),
                "unobserved": a.unobserved.total_seconds(),
                "allowed": a.allowed.total_seconds(),
                "downtime": a.downtime.total_seconds(),
                "excused": a.excused.total_seconds(),
                "remaining": a.remaining.total_seconds(),
            },
            **({"months": [self._summary(month) for month in self.months]} if self.is_year else {}),
            **(
                {"year_to_date": self._summary(self.year_to_date)}
                if self.year_to_date is not None
                else {}
            ),
            "days": [_day_dict(day) for day in a.days],
            "incidents": [self._incident_dict(line) for line in self.incidents],
            "maintenance": [
                {
                    "start": _iso(self.local(m.start)),
                    "end": _iso(self.local(m.end)),
                    "reason": m.reason,
                }
                for m in self.maintenance
            ],
        }

    def _summary(self, a: Availability) -> dict[str, Any]:
        """A part of the period (a month of a year, a year to date) in figures."""
        return {
            "start": _iso(self.local(a.start)),
            "end": _iso(self.local(a.end)),
            "availability_percent": None if a.percent is None else float(a.percent),
            "verdict": a.verdict,
            "seconds": {
                "service": a.service.total_seconds(),
                "observed": a.observed.total_seconds(),
                "unobserved": a.unobserved.total_seconds(),
                "allowed": a.allowed.total_seconds(),
                "downtime": a.downtime.total_seconds(),
                "excused": a.excused.total_seconds(),
            },
        }

    def _incident_dict(self, line: IncidentLine) -> dict[str, Any]:
        incident = line.incident
        return {
            "id": incident.id,
            "check": incident.check,
            "environment": incident.environment,
            "priority": None if incident.priority is None else str(incident.priority),
            "summary": incident.summary,
            "consequences": list(incident.consequences),
            "locations": list(incident.locations),
            "affects_availability": incident.affects_availability,
            "opened": _iso(self.local(incident.opened)),
            "down_since": _iso(self.local(incident.down_since)),
            "responded": _iso(self.local(incident.responded)),
            "resolved": _iso(self.local(incident.resolved)),
            "downtime_seconds": line.downtime.total_seconds(),
            "excused_seconds": line.excused.total_seconds(),
            "response": self._deadline_dict(line.response),
            "resolution": self._deadline_dict(line.resolution),
        }

    def _deadline_dict(self, deadline: Deadline) -> dict[str, Any]:
        return {
            "due": _iso(self.local(deadline.due)),
            "done": _iso(self.local(deadline.done)),
            "status": deadline.status.value,
        }


def build_report(
    policy: SlaPolicy,
    project: str,
    period: str,
    incidents: Iterable[SlaIncident],
    maintenance: Iterable[Maintenance],
    now: dt.datetime,
    observed: Iterable[Interval] | None = None,
    observation_gap: dt.timedelta = OBSERVATION_GAP,
    year_to_date: Availability | None = None,
    locations: Iterable[str] = (),
) -> SlaReport:
    """The SLA of ``project`` over ``period`` (``YYYY-MM`` or ``YYYY`` in the calendar's zone),
    as of ``now``.

    Pass the incidents of the environments the SLA covers (production, as a
    rule); every one given is counted, inside ``observed``: the time check
    results watched (upkeep.sla.availability.observations; None: all of it),
    each for at most ``observation_gap`` (what the report says it was).
    ``year_to_date`` (``availability_between`` 1 January and the month's
    end) goes into a month's report as it is; ``locations`` are where the checks
    ran from, named in the report.
    """
    if not isinstance(now, dt.datetime) or now.utcoffset() is None:
        raise UsageError(f"the report's now {now!r} has no time zone (give an aware datetime)")
    calendar = policy.service_calendar
    period = period.strip() if isinstance(period, str) else period
    start, end = period_bounds(period, calendar)
    if now <= start:
        raise UsageError(
            f"{'year' if len(period) == 4 else 'month'} {period} has not begun at "
            f"{now.astimezone(calendar.zone):%Y-%m-%d %H:%M} {calendar.timezone} "
            "(ask for this one or an earlier one)"
        )
    incidents = list(incidents)
    windows = [m for m in maintenance if m.end > start and m.start < end]
    watched = None if observed is None else merge(observed)
    availability = availability_between(
        policy, start, end, incidents, windows, now, observed=watched
    )
    until = availability.until
    lines = []
    for incident in sorted(incidents, key=lambda i: (i.opened, i.id)):
        if not _in_period(incident, start, until, now):
            continue
        outage = incident.outage(now)
        down = [outage] if outage else []
        counted, excused = service_downtime(
            calendar,
            down if watched is None else intersect(down, watched),
            [m.interval for m in windows],
            start,
            until,
        )
        found = deadlines(incident, policy.priorities, calendar, now)
        lines.append(IncidentLine(incident, found.response, found.resolution, counted, excused))
    return SlaReport(
        project=project,
        period=period,
        now=now.astimezone(calendar.zone),
        calendar=calendar,
        availability=availability,
        incidents=tuple(lines),
        maintenance=tuple(sorted(windows, key=lambda m: (m.start, m.end, m.reason))),
        observation_gap=observation_gap,
        months=months_of(availability, calendar) if len(period) == 4 else (),
        year_to_date=year_to_date,
        locations=tuple(sorted(set(locations))),
    )


def availability_between(
    policy: SlaPolicy,
    start: dt.datetime,
    end: dt.datetime,
    incidents: Iterable[SlaIncident],
    maintenance: Iterable[Maintenance],
    now: dt.datetime,
    observed: Iterable[Interval] | None = None,
) -> Availability:
    """Availability from ``start`` to ``end`` as of ``now``: the incidents' outages, less
    maintenance, inside ``observed`` (None: all of it)."""
    return measure(
        policy.service_calendar,
        policy.target,
        start,
        end,
        now,
        outages=[o for o in (i.outage(now) for i in incidents) if o is not None],
        maintenance=[m.interval for m in maintenance],
        observed=None if observed is None else merge(observed),
    )


def _in_period(
    incident: SlaIncident, start: dt.datetime, until: dt.datetime, now: dt.datetime
) -> bool:
    """Open at some moment of the measured period (or opened and closed at once inside it)."""
    if incident.opened >= until:
        return False
    end = incident.resolved if incident.resolved is not None and incident.resolved <= now else now
    return end > start or incident.opened >= start


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _day_dict(day: Day) -> dict[str, Any]:
    percent = day.percent
    return {
        "date": day.date.isoformat(),
        "state": day.state,
        "closed_reason": day.closed_reason,
        "service_seconds": day.service.total_seconds(),
        "measured_seconds": day.measured.total_seconds(),
        "observed_seconds": day.observed.total_seconds(),
        "unobserved_seconds": day.unobserved.total_seconds(),
        "downtime_seconds": day.downtime.total_seconds(),
        "excused_seconds": day.excused.total_seconds(),
        "availability_percent": None if percent is None else float(percent),
    }
