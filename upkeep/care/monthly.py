"""A project's monthly care report from what upkeep keeps: the monitoring history (the
month's SLA report, upkeep.sla.monthly), the reports and the run record (upkeep.care.records).

    >>> file_stem("demo", "2026-11", "pl")
    'demo-2026-11-pl'
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from upkeep.care.records import read_records
from upkeep.care.report import CareReport, build_care_report, last_complete_month
from upkeep.care.warranty import zone_of
from upkeep.errors import UsageError
from upkeep.inventory import Project
from upkeep.inventory.service_calendar import ServiceCalendar
from upkeep.monitor.history import History
from upkeep.sla.availability import month_period
from upkeep.sla.monthly import period_report
from upkeep.workspace import Workspace


def care_report(
    workspace: Workspace,
    project: Project,
    month: str | None,
    language: str | None,
    history_path: Path | None,
    now: dt.datetime,
) -> CareReport:
    """``project``'s care over ``month`` (None: the last complete month in its zone), as of
    ``now``, from the history at ``history_path`` (None: the state store, where ``upkeep check`` keeps it)."""
    zone = zone_of(project)
    month = month or last_complete_month(now, zone)
    start, end = month_period(month, ServiceCalendar(zone.key))
    if history_path is not None and not history_path.exists():
        raise UsageError(f"{history_path}: no such monitoring history (check the path)")
    with History(history_path) as history:  # None: the state store
        return _report(workspace, project, month, language, history, now, start, end)


def _report(
    workspace: Workspace,
    project: Project,
    month: str,
    language: str | None,
    history: History | None,
    now: dt.datetime,
    start: dt.datetime,
    end: dt.datetime,
) -> CareReport:
    sla = (
        period_report(project, month, history, now, year_to_date=True)
        if project.sla is not None
        else None
    )
    records = read_records(workspace, project, history, start, min(now, end))
    return build_care_report(project, month, sla, records, now, language)


def file_stem(project: str, month: str, language: str) -> str:
    """The report files' name before the format: ``PROJECT-YYYY-MM-LANG``."""
    return f"{project}-{month}-{language}"
