"""What upkeep recorded about a project, read for the care report (no host is reached).

Update runs from their reports (``reports/update/PROJECT-RUN.json``, and a
fleet run's ``fleet-RUN.json`` as it reached production), refreshes
from theirs (``reports/refresh/``, upkeep.fleet.refreshes), certificates from
the last certificate check result of each environment, drift and provision
runs from the state store's run record, pins, and production's monitoring
for the warranty. A record that cannot be read is left out, never guessed.

    >>> update_of({"project": "demo", "run_id": "r1"}, "demo", "x.json") is None   # no builds
    True
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from upkeep.care.observed import observe_monitoring
from upkeep.care.report import (
    CertificateReading,
    DriftRuns,
    RecordedProposal,
    RecordedRefresh,
    RecordedUpdate,
    Records,
)
from upkeep.errors import UpkeepError
from upkeep.fleet.refreshes import refreshes
from upkeep.inventory import Project
from upkeep.inventory.pins import load_pins
from upkeep.monitor.history import History
from upkeep.pipeline.journal import parse_time
from upkeep.state import open_store
from upkeep.update.fleet_report import SERVER_WORDS
from upkeep.workspace import Workspace

CERTIFICATE_KIND = "tls"
PRODUCTION = "production"  # whose update the client's report tells
_MANY = 100_000  # every run of a month


def read_records(
    workspace: Workspace,
    project: Project,
    history: History | None,
    start: dt.datetime,
    as_of: dt.datetime,
) -> Records:
    """The records of ``project`` the care report of the period ``start``–``as_of`` reads."""
    return Records(
        pins=load_pins(workspace, project.name),
        monitoring=observe_monitoring(history, project.name, as_of),
        updates=tuple(updates(workspace.reports / "update", project.name)),
        refreshes=tuple(
            RecordedRefresh(env, found.at, found.ok, found.error, str(found.report))
            for env in project.environments
            for found in refreshes(workspace.reports / "refresh", project.name, env)
        ),
        certificates=tuple(certificates(history, project)),
        drift=drift_runs(project.name, start, as_of),
        proposals=tuple(proposals(workspace.reports / "proposals", project.name)),
    )


def updates(directory: Path, project: str) -> list[RecordedUpdate]:
    """Every update report of ``project`` in ``directory``, its own and the fleet's
    (``update minor --all``), by start."""
    found = []
    for path in [*directory.glob(f"{project}-*.json"), *directory.glob("fleet-*.json")]:
        try:
            data = json.loads(path.read_text())
        except (ValueError, OSError):
            continue  # half written, or not ours
        if not isinstance(data, dict):
            continue
        read = fleet_update_of if path.name.startswith("fleet-") else update_of
        if update := read(data, project, str(path)):
            found.append(update)
    return sorted(found, key=lambda update: update.started)


# A fleet report's server outcome in the run states a project's own report uses.
_FLEET_STATES = {words: state for state, words in SERVER_WORDS.items()}


def fleet_update_of(data: dict[str, Any], project: str, source: str) -> RecordedUpdate | None:
    """A fleet update as it reached ``project``'s production: its server's builds and outcome
    (None: production was not in it, or not reached).

    >>> server = {"server": "web1", "sites": ["demo/production"], "state": "updated",
    ...           "from_build": "8.2.32", "to_build": "8.2.36"}
    >>> report = {"run_id": "r2", "started": "2026-12-06T19:51:43.574486Z", "finished": None,
    ...           "security": [], "waves": [{"servers": [server]}]}
    >>> fleet_update_of(report, "demo", "fleet-r2.json").state
    'succeeded'
    """
    try:
        moved = [
            server
            for wave in data["waves"]
            for server in wave["servers"]
            if f"{project}/{PRODUCTION}" in server["sites"]
        ]
        if not moved or moved[0]["state"] not in _FLEET_STATES:
            return None  # not in the run, or not reached
        server = moved[0]
        return RecordedUpdate(
            run_id=str(data["run_id"]),
            state=_FLEET_STATES[server["state"]],
            from_build=str(server["from_build"]),
            to_build=str(server["to_build"]),
            started=parse_time(data["started"]),
            finished=parse_time(data["finished"]) if data.get("finished") else None,
            security=tuple(str(line) for line in data.get("security") or ()),
            offered=None,
            newer_lines=(),
            source=source,
        )
    except (KeyError, TypeError, ValueError):
        return None  # an older shape


def update_of(data: dict[str, Any], project: str, source: str) -> RecordedUpdate | None:
    """One update report's JSON as the care report reads it (None: not an update of ``project``)."""
    if data.get("project") != project:
        return None
    try:
        check = data.get("check") or {}
        return RecordedUpdate(
            run_id=str(data["run_id"]),
            state=str(data["state"]),
            from_build=str(data["from_build"]),
            to_build=str(data["to_build"]),
            started=parse_time(data["started"]),
            finished=parse_time(data["finished"]) if data.get("finished") else None,
            security=tuple(str(line) for line in data.get("security") or ()),
            offered=check.get("offered"),
            newer_lines=tuple(check.get("newer_lines") or ()),
            source=source,
        )
    except (KeyError, TypeError, ValueError):
        return None  # another kind of report (a fleet run's), or an older shape


def proposals(directory: Path, project: str) -> list[RecordedProposal]:
    """The major-upgrade proposals on file for ``project`` (``upkeep propose``), by line."""
    found = []
    for path in directory.glob(f"{project}-php*-proposal.json"):
        try:
            data = json.loads(path.read_text())
            if data.get("project") != project:
                continue
            window = data.get("window") or {}
            found.append(
                RecordedProposal(
                    str(data["from_line"]),
                    str(data["to_line"]),
                    float(data["hours"]["expected"]),
                    dt.datetime.fromisoformat(window["start"]) if window.get("start") else None,
                    str(path),
                )
            )
        except (ValueError, OSError, KeyError, TypeError, AttributeError):
            continue  # half written, or another shape: not a proposal to show
    return sorted(found, key=lambda proposal: proposal.to_line)


def certificates(history: History | None, project: Project) -> list[CertificateReading]:
    """Each environment's last certificate check result that measured the days left."""
    found = []
    for env in project.environments:
        last = history.last_result(project.name, env, CERTIFICATE_KIND) if history else None
        metric = last.result.metrics.get("days_left") if last else None
        if last is not None and metric is not None:
            found.append(
                CertificateReading(
                    env, last.result.at, metric.value, metric.warn, last.result.check
                )
            )
    return found


def drift_runs(project: str, start: dt.datetime, end: dt.datetime) -> DriftRuns | None:
    """The period's drift and provision runs from the state store's record (None: unreadable)."""
    try:
        with open_store() as store:
            runs = [
                r for r in store.runs(project=project, since=start, limit=_MANY) if r.started < end
            ]
            where = f"state store, {len(runs)} runs"
    except (UpkeepError, OSError):
        return None
    drift = [r for r in runs if r.command == "drift"]
    return DriftRuns(
        checks=len(drift),
        found=sum(r.exit_code == 1 for r in drift),
        provisions=sum(r.command == "provision" and r.exit_code == 0 for r in runs),
        source=where,
    )
