"""The dashboard's pages as values: the fleet page and one page per project.

Columns come from the fleet status rows themselves (``EnvironmentStatus.figures``),
in the order they give, so a figure added there shows here without work. Each
figure's source becomes a numbered note listed under its table, as
``fleet status`` prints them. Links are relative to the site's root.

    >>> column("php_pinned"), column("warranty")
    (Column(key='php_pinned', label='PHP pinned'), Column(key='warranty', label='warranty'))
    >>> site_path(Path("/srv/ops/reports/sla/demo-2026-11.html"))
    'reports/sla/demo-2026-11.html'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from upkeep.dashboard.records import ProjectRecords, RecordedRun, ReportFile
from upkeep.fleet.status import EnvironmentStatus, FleetStatus
from upkeep.monitor.incidents import Incident
from upkeep.reports.sla import human
from upkeep.sla.availability import percent_text
from upkeep.sla.report import SlaReport

# How the fleet status' figures are headed; a figure not named here is headed by its key.
LABELS = {
    "php_pinned": "PHP pinned",
    "php_offered": "newest offered",
    "ref_pinned": "ref",
    "last_refresh": "last refresh",
    "last_update": "last update",
    "open_incidents": "open incidents",
    "sla": "SLA month to date",
    "certificate": "certificate",
}
_WHEN = "%Y-%m-%d %H:%M"


@dataclass(frozen=True)
class Column:
    key: str
    label: str


@dataclass(frozen=True)
class Cell:
    """A figure's text and the number of its source's note (None: no source recorded)."""

    text: str
    note: int | None


@dataclass(frozen=True)
class Row:
    """One environment of a project; ``attention``: what about it needs a person."""

    project: str
    environment: str
    servers: str
    cells: tuple[Cell, ...]
    attention: tuple[str, ...]

    @property
    def href(self) -> str:
        return page_path(self.project)


@dataclass(frozen=True)
class Table:
    """Rows of figures under their columns, and the numbered sources they cite."""

    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    sources: tuple[str, ...]  # note n is sources[n - 1]


@dataclass(frozen=True)
class Link:
    """A link relative to the site's root; ``source``: the file copied there (a report)."""

    label: str
    href: str
    source: Path | None = None


@dataclass(frozen=True)
class RunLine:
    started: str
    command: str
    who: str
    status: str
    duration: str
    reports: tuple[Link, ...]


@dataclass(frozen=True)
class IncidentLine:
    id: int | None
    environment: str
    check: str
    priority: str
    summary: str
    opened: str
    resolved: str  # "open" while it is


@dataclass(frozen=True)
class MonthLine:
    month: str
    availability: str
    target: str
    verdict: str
    downtime: str
    incidents: int


@dataclass(frozen=True)
class ReportLine:
    """One report (its formats share a name): its kind, name, when it was written, its files."""

    kind: str
    name: str
    written: str
    files: tuple[Link, ...]


@dataclass(frozen=True)
class FleetPage:
    as_of: str
    table: Table
    attention: tuple[str, ...]  # every line, the fleet's own included
    projects: tuple[Link, ...]


@dataclass(frozen=True)
class ProjectPage:
    name: str
    as_of: str
    table: Table
    attention: tuple[str, ...]
    months: tuple[MonthLine, ...]
    incidents: tuple[IncidentLine, ...]
    runs: tuple[RunLine, ...]
    reports: tuple[ReportLine, ...]

    @property
    def latest_report(self) -> ReportLine | None:
        return self.reports[0] if self.reports else None


def column(key: str) -> Column:
    return Column(key, LABELS.get(key, key.replace("_", " ")))


def page_path(project: str) -> str:
    return f"projects/{project}.html"


def site_path(report: Path) -> str:
    """Where a report file is copied in the site: ``reports/KIND/NAME``, as under reports/."""
    return f"reports/{report.parent.name}/{report.name}"


def table(rows: Sequence[EnvironmentStatus], attention: Sequence[str]) -> Table:
    """``rows`` as a table; each row marked with the ``attention`` lines that name it."""
    keys = list(rows[0].figures()) if rows else [column(key).key for key in LABELS]
    sources: dict[str, int] = {}

    def cell(text: str, source: str) -> Cell:
        return Cell(text, sources.setdefault(source, len(sources) + 1) if source else None)

    lines = [
        Row(
            row.project,
            row.environment,
            ", ".join(row.servers),
            tuple(cell(figure.text, figure.source) for figure in row.figures().values()),
            tuple(
                line for line in attention if line.startswith(f"{row.project} {row.environment}: ")
            ),
        )
        for row in rows
    ]
    return Table(tuple(column(key) for key in keys), tuple(lines), tuple(sources))


def fleet_page(status: FleetStatus, now: dt.datetime) -> FleetPage:
    names = dict.fromkeys(row.project for row in status.rows)
    return FleetPage(
        as_of=_when(now),
        table=table(status.rows, status.attention),
        attention=status.attention,
        projects=tuple(Link(name, page_path(name)) for name in names),
    )


def _about(project: str, line: str) -> bool:
    return line.startswith((f"{project}: ", f"{project} "))


def project_page(status: FleetStatus, records: ProjectRecords, now: dt.datetime) -> ProjectPage:
    name = records.project
    mine = [line for line in status.attention if _about(name, line)]
    return ProjectPage(
        name=name,
        as_of=_when(now),
        table=table([row for row in status.rows if row.project == name], mine),
        attention=tuple(mine),
        months=tuple(_month(report) for report in records.months),
        incidents=tuple(_incident(incident) for incident in records.incidents),
        runs=tuple(_run(run) for run in records.runs),
        reports=_reports(records.reports),
    )


def _month(report: SlaReport) -> MonthLine:
    availability = report.availability
    percent = availability.percent
    return MonthLine(
        month=report.period,
        availability="not observed" if percent is None else f"{percent_text(percent)}%",
        target=f"{float(availability.target):g}%",
        verdict=availability.verdict,
        downtime=human(availability.downtime),
        incidents=len(report.incidents),
    )


def _incident(incident: Incident) -> IncidentLine:
    return IncidentLine(
        id=incident.id,
        environment=incident.environment,
        check=incident.check,
        priority=incident.priority.value,
        summary=incident.summary,
        opened=_when(incident.opened),
        resolved="open" if incident.resolved is None else _when(incident.resolved),
    )


def _run(recorded: RecordedRun) -> RunLine:
    run = recorded.run
    return RunLine(
        started=_when(run.started),
        command=run.command,
        who=run.who,
        status=f"{run.status} ({run.exit_code})",
        duration=f"{run.duration_seconds:.1f} s",
        reports=tuple(_file(path.name, path) for path in recorded.files),
    )


def _reports(files: Sequence[ReportFile]) -> tuple[ReportLine, ...]:
    """The files grouped by kind and name (demo-2026-11.md, .html, .json: one report),
    in the order of the newest file of each."""
    grouped: dict[tuple[str, str], list[ReportFile]] = {}
    for report in files:
        grouped.setdefault((report.kind, report.path.stem), []).append(report)
    return tuple(
        ReportLine(
            kind=kind,
            name=name,
            written=_when(found[0].written),
            files=tuple(
                _file(report.path.suffix.lstrip(".") or report.path.name, report.path)
                for report in sorted(found, key=lambda report: report.path.suffix)
            ),
        )
        for (kind, name), found in grouped.items()
    )


def _file(label: str, path: Path) -> Link:
    return Link(label, site_path(path), path)


def _when(moment: dt.datetime) -> str:
    return f"{moment.astimezone(dt.UTC):{_WHEN}} UTC"
