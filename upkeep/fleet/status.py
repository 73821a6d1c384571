"""``upkeep fleet status``: every project's environments in one table, each figure with its source.

Nothing here reaches a host: figures come from the pins, the update journals
(a project's own, and the last fleet update's, whichever is newer for a site),
the refresh reports, and the monitoring history that ``upkeep check`` keeps;
drift only when a ``drift`` function is given (``--drift``). The warranty
(upkeep.care) is computed from the same records, on the production row. What was never
recorded says "not checked" (or "not observed"), which needs no attention;
what needs attention is one line each in ``FleetStatus.attention``.

    >>> status = FleetStatus(rows=(), attention=())
    >>> status.needs_attention, status.to_dict()
    (False, {'rows': [], 'attention': []})
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from upkeep.care.observed import observe_monitoring
from upkeep.care.warranty import Warranty, WarrantyStatus, warranty_of
from upkeep.drift.compare import DriftReport
from upkeep.fleet.refreshes import last_refresh
from upkeep.inventory import Project
from upkeep.inventory.pins import Pins
from upkeep.monitor.history import History
from upkeep.pipeline import Journal, JournalStore, RunState
from upkeep.sla.availability import percent_text
from upkeep.sla.monthly import ENVIRONMENT as SLA_ENVIRONMENT
from upkeep.sla.monthly import current_month, period_report
from upkeep.state import Location

NOT_CHECKED = "not checked"
# An update left like this needs a person: unfinished (or died), rolled back, or not put back.
_NEEDS_A_PERSON = (RunState.RUNNING, RunState.FAILED, RunState.ROLLED_BACK)

Drift = Callable[[Project, Pins], DriftReport]


@dataclass(frozen=True)
class Figure:
    """One cell: what is known, and where it came from ("" when it is not recorded)."""

    text: str
    source: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"text": self.text, "source": self.source}


@dataclass(frozen=True)
class EnvironmentStatus:
    project: str
    environment: str
    servers: tuple[str, ...]
    php_pinned: Figure
    php_offered: Figure
    ref_pinned: Figure
    last_refresh: Figure
    last_update: Figure
    drift: Figure
    open_incidents: Figure
    sla: Figure
    certificate: Figure
    warranty: Figure

    def to_dict(self) -> dict[str, Any]:
        cells = {name: figure.to_dict() for name, figure in self.figures().items()}
        return {
            "project": self.project,
            "environment": self.environment,
            "servers": list(self.servers),
            **cells,
        }

    def figures(self) -> dict[str, Figure]:
        return {
            "php_pinned": self.php_pinned,
            "php_offered": self.php_offered,
            "ref_pinned": self.ref_pinned,
            "last_refresh": self.last_refresh,
            "last_update": self.last_update,
            "drift": self.drift,
            "open_incidents": self.open_incidents,
            "sla": self.sla,
            "certificate": self.certificate,
            "warranty": self.warranty,
        }


@dataclass(frozen=True)
class FleetStatus:
    rows: tuple[EnvironmentStatus, ...]
    attention: tuple[str, ...]  # one line per thing that needs a person

    @property
    def needs_attention(self) -> bool:
        return bool(self.attention)

    def to_dict(self) -> dict[str, Any]:
        return {"rows": [row.to_dict() for row in self.rows], "attention": list(self.attention)}


@dataclass(frozen=True)
class Sources:
    """Where the recorded figures are read: pins per project, the update journals,
    the refresh reports' directory, and the monitoring history (an SQLite file, the state
    store's Location; None: none kept)."""

    pins: Callable[[str], Pins]
    updates: JournalStore
    refreshes: Path
    history: Path | Location | None
    # The last fleet update's journal and where it is kept (None: no fleet update yet).
    fleet_update: tuple[Journal, str] | None = None


def fleet_status(
    projects: Sequence[Project], sources: Sources, now: dt.datetime, drift: Drift | None = None
) -> FleetStatus:
    """Every environment of every project, as recorded (and drift, when ``drift`` is given)."""
    rows: list[EnvironmentStatus] = []
    attention: list[str] = []
    fleet_run, fleet_source = sources.fleet_update or (None, "")
    by_fleet: dict[tuple[str, str], Figure] = {}
    if fleet_run is not None:
        by_fleet = _fleet_sites(fleet_run, fleet_source)
        if fleet_run.state in _NEEDS_A_PERSON:
            attention.append(f"fleet update {fleet_run.where()} ({fleet_source})")
    history = History(sources.history) if sources.history else None
    try:
        for project in sorted(projects, key=lambda p: p.name):
            pins = sources.pins(project.name)
            report = drift(project, pins) if drift else None
            journal = sources.updates.load(project.name)
            journal_source = sources.updates.source(project.name)
            monitoring = observe_monitoring(history, project.name, now)
            warranty = warranty_of(project, now, monitoring, report)
            if journal is not None and journal.state in _NEEDS_A_PERSON:
                attention.append(f"{project.name}: update {journal.where()} ({journal_source})")
            for name in project.environments:
                env = str(name)
                cells = {
                    "drift": _drift(report, env),
                    "open_incidents": _incidents(project.name, env, history),
                    "sla": _sla(project, env, history, now),
                    "certificate": _certificate(project.name, env, history, now),
                    "warranty": _warranty(warranty, env),
                }
                rows.append(
                    EnvironmentStatus(
                        project=project.name,
                        environment=env,
                        servers=tuple(host.name for host in project.environment(env).hosts),
                        **_pinned(project.name, pins, env),
                        php_offered=_offered(journal, journal_source),
                        last_refresh=_refresh(sources.refreshes, project.name, env),
                        last_update=_newer(
                            _update(journal, journal_source),
                            journal,
                            by_fleet.get((project.name, env)),
                            fleet_run,
                        ),
                        **{key: figure for key, (figure, _) in cells.items()},
                    )
                )
                attention.extend(f"{project.name} {env}: {why}" for _, why in cells.values() if why)
    finally:
        if history is not None:
            history.close()
    return FleetStatus(tuple(rows), tuple(attention))


# A cell that can need attention: the figure, and why it does (None: it does not).
Cell = tuple[Figure, str | None]


def _pinned(project: str, pins: Pins, env: str) -> dict[str, Figure]:
    pin = pins.get(env)
    source = f"pins of {project}" + (f", {pin.updated}" if pin.updated else "")
    return {
        "php_pinned": Figure(pin.php_build or "not pinned", source if pin.php_build else ""),
        "ref_pinned": Figure(pin.ref or "not pinned", source if pin.ref else ""),
    }


def _offered(journal: Journal | None, source: str) -> Figure:
    if journal is None or "to_build" not in journal.facts:
        return Figure(NOT_CHECKED)
    return Figure(str(journal.facts["to_build"]), f"update run {journal.run_id}, {source}")


def _update(journal: Journal | None, source: str) -> Figure:
    if journal is None:
        return Figure("none recorded")
    return Figure(journal.where(), f"update run {journal.run_id}, {source}")


def _fleet_sites(run: Journal, source: str) -> dict[tuple[str, str], Figure]:
    """What the fleet update did to each site it planned: its server's outcome."""
    outcomes = run.facts.get("servers", {})
    found: dict[tuple[str, str], Figure] = {}
    for wave in run.facts.get("plan", {}).get("waves", []):
        for move in wave.get("servers", []):
            seen = outcomes.get(move["server"])
            if seen is None:
                text = f"not reached: fleet update {run.where()}"
            else:
                text = f"{seen['state']} on {move['server']}, {move['from_build']} → {move['to_build']}"
            for site in move.get("sites", []):
                key = (site["project"], site["environment"])
                found[key] = Figure(text, f"fleet update run {run.run_id}, {source}")
    return found


def _newer(
    own: Figure, journal: Journal | None, fleet: Figure | None, fleet_run: Journal | None
) -> Figure:
    """The project's own update or the fleet update's figure for the site: the later run."""
    if fleet is None or fleet_run is None:
        return own
    if journal is not None and journal.started > fleet_run.started:
        return own
    return fleet


def _refresh(directory: Path, project: str, env: str) -> Figure:
    found = last_refresh(directory, project, env)
    if found is None:
        return Figure("none recorded")
    outcome = "ok" if found.ok else f"failed: {found.error or 'see the report'}"
    return Figure(f"{found.at:%Y-%m-%d %H:%M} UTC {outcome}", str(found.report))


def _drift(report: DriftReport | None, env: str) -> Cell:
    if report is None:
        return Figure(NOT_CHECKED), None
    items = [item for item in report.items if item.environment == env]
    unreachable = [line for line in report.unreachable if f"({env})" in line]
    if unreachable:
        return Figure("unreachable", "drift, live"), f"drift not read: {'; '.join(unreachable)}"
    if not items:
        return Figure("in sync", "drift, live"), None
    what = ", ".join(sorted({item.aspect for item in items}))
    return Figure(f"{len(items)} differences", "drift, live"), f"drift found ({what})"


def _incidents(project: str, env: str, history: History | None) -> Cell:
    if history is None:
        return Figure(NOT_CHECKED), None
    found = history.open_incidents(project, env)
    figure = Figure(str(len(found)), f"history {history.where}")
    if not found:
        return figure, None
    return figure, "open incidents: " + "; ".join(f"#{i.id} {i.summary}" for i in found)


def _sla(project: Project, env: str, history: History | None, now: dt.datetime) -> Cell:
    if env != SLA_ENVIRONMENT:
        return Figure("-"), None  # the SLA is what production's visitors get
    if project.sla is None:
        return Figure("no sla"), None
    if history is None:
        return Figure("not observed"), None
    availability = period_report(project, current_month(project, now), history, now).availability
    percent = availability.percent
    if percent is None:
        return Figure("not observed", f"history {history.where}"), None
    text = f"{percent_text(percent)}% (target {float(availability.target):g}%)"
    figure = Figure(text, f"history {history.where}")
    if percent < availability.target:
        return figure, f"SLA this month {text}: under target"
    return figure, None


def _certificate(project: str, env: str, history: History | None, now: dt.datetime) -> Cell:
    last = history.last_result(project, env, "tls") if history else None
    metric = last.result.metrics.get("days_left") if last else None
    if last is None or metric is None:
        return Figure(NOT_CHECKED), None
    # The expiry date stands still: the days left then, less the days gone since.
    days = metric.value - (now - last.result.at) / dt.timedelta(days=1)
    at = last.result.at.astimezone(dt.UTC)
    figure = Figure(f"{days:.1f} days", f"{last.result.check} check at {at:%Y-%m-%d %H:%M} UTC")
    if metric.warn is not None and days <= metric.warn:
        return figure, f"certificate expires in {days:.1f} days (warning at {metric.warn:g})"
    return figure, None


def _warranty(warranty: Warranty, env: str) -> Cell:
    """The project's warranty, on its production row (it covers the whole project)."""
    if env != SLA_ENVIRONMENT:
        return Figure("-"), None
    source = f"upkeep warranty {warranty.project}"
    status = warranty.status
    if status is WarrantyStatus.NONE:
        return Figure("no care plan" if warranty.plan is None else "not accepted"), None
    if status is WarrantyStatus.VOID:
        return Figure("void", source), f"warranty void: {'; '.join(warranty.reasons)}"
    if warranty.starts is None:
        return Figure(status.value, source), None
    if status is WarrantyStatus.PENDING:
        return Figure(f"from {warranty.starts.date()}", source), None
    if status is WarrantyStatus.EXPIRED:
        return Figure(f"expired after {warranty.last_day}", source), None
    return Figure(f"active through {warranty.last_day}", source), None
