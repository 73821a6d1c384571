"""A project's history as the dashboard shows it: its runs, incidents, SLA by month and reports.

Read from the state store (``upkeep runs``), the monitoring history (``upkeep
check``) and the report files under ``reports/``; nothing here reaches a host.

    >>> months_back("2026-02", 3)
    ('2025-12', '2026-01', '2026-02')
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from upkeep.inventory import Project
from upkeep.monitor.history import History
from upkeep.monitor.incidents import Incident
from upkeep.sla.monthly import current_month, period_report
from upkeep.sla.report import SlaReport
from upkeep.state import Run

RUNS_SHOWN = 20
INCIDENTS_SHOWN = 30
MONTHS_SHOWN = 6
# The dashboard's own default place is under reports/: its pages are not reports of a project.
SKIPPED_KINDS = frozenset({"dashboard"})
# What a report is written as; a scheduled job's log under reports/ci/ is not one.
REPORT_SUFFIXES = frozenset({".md", ".html", ".json", ".pdf"})


@dataclass(frozen=True)
class ReportFile:
    """A report upkeep wrote about the project: where it is, its kind (its folder under
    reports/), and when it was written (the run that wrote it, else the file's time)."""

    path: Path
    kind: str
    written: dt.datetime


@dataclass(frozen=True)
class RecordedRun:
    """A run from the store, with the files of its reports that are still there."""

    run: Run
    files: tuple[Path, ...]


@dataclass(frozen=True)
class ProjectRecords:
    project: str
    runs: tuple[RecordedRun, ...]  # newest first
    incidents: tuple[Incident, ...]  # open at some moment of the months shown, newest first
    months: tuple[SlaReport, ...]  # newest first; empty without an SLA
    reports: tuple[ReportFile, ...]  # newest first


def months_back(month: str, count: int) -> tuple[str, ...]:
    """``count`` months up to and including ``month`` (YYYY-MM), oldest first."""
    year, number = (int(part) for part in month.split("-"))
    index = year * 12 + number - 1
    return tuple(f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - count + 1, index + 1))


def project_records(
    project: Project,
    runs: Sequence[Run],
    history: History | None,
    reports: Path,
    now: dt.datetime,
    others: Collection[str] = (),
) -> ProjectRecords:
    """What was recorded about ``project``: ``runs`` are its runs from the store (newest
    first), ``reports`` the workspace's reports/ directory, ``others`` its other projects."""
    months = _months(project, history, now)
    # The incidents of the months shown (without an SLA: of as many months back).
    start = months[-1].availability.start if months else now - dt.timedelta(days=31 * MONTHS_SHOWN)
    incidents = history.incidents(start, now, project.name) if history else []
    return ProjectRecords(
        project=project.name,
        runs=tuple(RecordedRun(run, _present(run, reports.parent)) for run in runs[:RUNS_SHOWN]),
        incidents=tuple(reversed(incidents))[:INCIDENTS_SHOWN],
        months=months,
        reports=report_files(project.name, runs, reports, others),
    )


def _months(project: Project, history: History | None, now: dt.datetime) -> tuple[SlaReport, ...]:
    """This month's SLA and the months before it back to the first one monitoring watched
    (at most MONTHS_SHOWN), newest first; none without an SLA."""
    if project.sla is None:
        return ()
    wanted = months_back(current_month(project, now), MONTHS_SHOWN)
    found = [period_report(project, month, history, now) for month in wanted]
    first = next(
        (i for i, report in enumerate(found) if report.availability.observed or report.incidents),
        len(found) - 1,
    )
    return tuple(reversed(found[first:]))


def _present(run: Run, root: Path) -> tuple[Path, ...]:
    # A relative name was written from the workspace's root.
    return tuple(path.resolve() for path in (root / name for name in run.reports) if path.is_file())


def report_files(
    project: str, runs: Sequence[Run], reports: Path, others: Collection[str] = ()
) -> tuple[ReportFile, ...]:
    """The project's report files that still exist: those its runs wrote, and those under
    ``reports``/KIND/ named after it (``demo-2026-11.html``), newest first. ``others``: the
    workspace's other projects, so ``demo-shop-2026-11.md`` is not taken for demo's."""
    longer = tuple(f"{other}-" for other in others if other.startswith(f"{project}-"))

    def named_after(path: Path) -> bool:
        return path.name.startswith(f"{project}-") and not path.name.startswith(longer)

    written: dict[Path, dt.datetime] = {}
    for run in sorted(runs, key=lambda run: run.started):  # a later run's time wins
        for path in _present(run, reports.parent):
            # A run for several projects wrote reports for each: this project's are named after it.
            if run.projects == (project,) or named_after(path):
                written[path] = run.started
    if reports.is_dir():
        for path in sorted(reports.glob(f"*/{project}-*")):
            skipped = path.parent.name in SKIPPED_KINDS or path.suffix not in REPORT_SUFFIXES
            if skipped or not named_after(path):
                continue
            if path.is_file() and path.resolve() not in written:
                written[path.resolve()] = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
    found = [ReportFile(path, path.parent.name, at) for path, at in written.items()]
    return tuple(sorted(found, key=lambda report: (-report.written.timestamp(), str(report.path))))
