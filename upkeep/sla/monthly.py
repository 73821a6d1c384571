"""A month's (or a year's) SLA report from the monitoring history: production's incidents and the
inventory's maintenance windows, judged by upkeep.sla.report.

Only production counts (the SLA is what the client's visitors get); an
incident that does not affect availability (a certificate expiring, fatal
errors in the log) is listed with its deadlines but costs no downtime.
Only time production's results watched is vouched for
(upkeep.sla.availability.observations, each result for at most twice the
month's usual spacing of results); without a history none was.
upkeep.reports.sla renders the report; ``file_stem`` names its files.

    >>> file_stem("demo", "2026-11")
    'demo-2026-11'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from upkeep.errors import UsageError
from upkeep.inventory import Project
from upkeep.inventory.maintenance import MaintenanceWindow
from upkeep.monitor import incidents as monitor
from upkeep.monitor.history import History
from upkeep.sla.availability import (
    LONGEST_GAP,
    observation_gap,
    observations,
    period_bounds,
    year_period,
)
from upkeep.sla.incidents import Maintenance, SlaIncident
from upkeep.sla.report import SlaReport, availability_between, build_report

ENVIRONMENT = "production"


def for_sla(
    incident: monitor.Incident, consequences: Sequence[monitor.Consequence] = ()
) -> SlaIncident:
    """A history incident as the SLA judges it, with the checks that failed because of it."""
    assert incident.id is not None, "incidents from the history have ids"
    return SlaIncident(
        incident.id,
        incident.check,
        incident.environment,
        incident.priority.value,
        incident.opened,
        responded=incident.acknowledged,
        resolved=incident.resolved,
        affects_availability=incident.affects_availability,
        down_since=incident.down_since,
        summary=incident.summary,
        consequences=tuple(c.describe() for c in consequences),
        locations=incident.locations,
    )


def maintenance_between(
    windows: Sequence[MaintenanceWindow], environment: str, start: dt.datetime, end: dt.datetime
) -> list[Maintenance]:
    """Each window's times in [start, end) for ``environment``, with its reason."""
    return [
        Maintenance(a, b, window.reason or ("recurring window" if window.recurring else "window"))
        for window in windows
        if window.applies_to(environment)
        for a, b in window.intervals(start, end)
    ]


def current_month(project: Project, now: dt.datetime) -> str:
    """This month in the SLA calendar's zone, as YYYY-MM."""
    if project.sla is None:
        raise UsageError(_no_sla(project))
    return now.astimezone(project.sla.service_calendar.zone).strftime("%Y-%m")


def period_report(
    project: Project,
    period: str,
    history: History | None,
    now: dt.datetime,
    *,
    year_to_date: bool = False,
) -> SlaReport:
    """``project``'s SLA over ``period`` (a ``YYYY-MM`` month or a ``YYYY`` year) as of ``now``
    (no history: no incidents recorded); a month's with its ``year_to_date`` when asked (it
    reads the whole year's history)."""
    if project.sla is None:
        raise UsageError(_no_sla(project))
    policy = project.sla
    start, end = period_bounds(period, policy.service_calendar)
    incidents, maintenance, moments = _recorded(project, history, start, end)
    gap = observation_gap(moments)
    locations = history.locations(project.name, ENVIRONMENT, start, end) if history else []
    so_far = None
    if year_to_date and len(period.strip()) != 4 and now > start:
        year_start = year_period(period.strip()[:4], policy.service_calendar)[0]
        earlier, excused, watched = _recorded(project, history, year_start, end)
        so_far = availability_between(
            policy,
            year_start,
            end,
            earlier,
            excused,
            now,
            observed=observations(watched, observation_gap(watched)),
        )
    return build_report(
        policy,
        project.name,
        period,
        incidents=incidents,
        maintenance=maintenance,
        now=now,
        observed=observations(moments, gap),
        observation_gap=gap,
        year_to_date=so_far,
        locations=locations,
    )


def _recorded(
    project: Project, history: History | None, start: dt.datetime, end: dt.datetime
) -> tuple[list[SlaIncident], list[Maintenance], list[dt.datetime]]:
    """Production's incidents, maintenance and observed moments between start and end."""
    recorded = history.incidents(start, end, project.name, ENVIRONMENT) if history else []
    # A result just before the period still watches its first minutes.
    moments = (
        history.watched(project.name, ENVIRONMENT, start - LONGEST_GAP, end) if history else []
    )
    incidents = [
        for_sla(incident, history.consequences(incident) if history else ())
        for incident in recorded
    ]
    return incidents, maintenance_between(project.maintenance, ENVIRONMENT, start, end), moments


def report_from_history(
    project: Project, month: str | None, history_path: Path | None, now: dt.datetime
) -> SlaReport:
    """``project``'s SLA over ``month`` (None: this month; ``YYYY``: a year), a month's with its
    year to date, from the history at ``history_path`` (None: the state store, where
    ``upkeep check`` keeps it; nothing kept yet: no incidents recorded)."""
    month = month or current_month(project, now)
    if history_path is not None and not history_path.exists():
        raise UsageError(f"{history_path}: no such monitoring history (check the path)")
    with History(history_path) as history:  # None: the state store
        return period_report(project, month, history, now, year_to_date=True)


def _no_sla(project: Project) -> str:
    return (
        f"project {project.name} has no sla: section (add target, calendar and priorities to "
        f"{project.source.name})"
    )


def file_stem(project: str, period: str) -> str:
    """The report files' name before the format: ``PROJECT-YYYY-MM`` (a year: ``PROJECT-YYYY``)."""
    return f"{project}-{period}"
