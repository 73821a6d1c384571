"""`upkeep fleet status`'s warranty column: on the production row, from the same records
(a real SQLite history) and drift report as the other columns; a void warranty needs
attention, one line with its reasons."""

from __future__ import annotations

import datetime as dt
from functools import partial
from pathlib import Path

import pytest

from tests.unit.care.test_warranty import NOW, in_sync, shop
from tests.unit.fleet.test_fleet_status import cell, record
from tests.unit.inventory.test_cli import GOOD
from upkeep.drift.compare import DriftReport
from upkeep.fleet.status import FleetStatus, Sources, fleet_status
from upkeep.inventory import Project
from upkeep.inventory.pins import Pins, load_pins
from upkeep.monitor.result import CheckResult, Status
from upkeep.update import runs
from upkeep.workspace import Workspace


@pytest.fixture(autouse=True)
def state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPKEEP_STATE_DIR", str(tmp_path / "state"))


def status(workspace: Path, project: Project, history: Path | None) -> FleetStatus:
    sources = Sources(
        pins=partial(load_pins, Workspace(workspace)),
        updates=runs.store(),
        refreshes=workspace / "reports" / "refresh",
        history=history,
    )
    return fleet_status([project], sources, NOW, lambda _p, _pins: in_sync())


def checked(tmp_path: Path, hours_ago: float) -> Path:
    path = tmp_path / "monitor.db"
    at = NOW - dt.timedelta(hours=hours_ago)
    record(path, CheckResult("shop", "production", "health", Status.OK, "ok", at=at))
    return path


def test_an_active_warranty_is_on_the_production_row_and_needs_no_attention(
    workspace: Path, tmp_path: Path
) -> None:
    found = status(workspace, shop(workspace), checked(tmp_path, 1))
    production = next(row for row in found.rows if row.environment == "production")
    assert production.warranty.text == "active through 2026-12-29"
    assert production.warranty.source == "upkeep warranty shop"
    assert (cell(found, "dev", "warranty"), cell(found, "staging", "warranty")) == ("-", "-")
    assert found.attention == ()


def test_a_void_warranty_needs_attention_with_its_reasons(workspace: Path, tmp_path: Path) -> None:
    found = status(workspace, shop(workspace), checked(tmp_path, 26))
    assert cell(found, "production", "warranty") == "void"
    assert found.attention == (
        "shop production: warranty void: monitoring is not running: no check result in "
        "production in the last day",
    )


def test_a_project_without_a_care_plan_has_no_warranty_and_needs_no_attention(
    workspace: Path,
) -> None:
    found = status(workspace, shop(workspace, GOOD), None)
    assert cell(found, "production", "warranty") == "no care plan"
    assert found.attention == ()


def test_the_drift_read_for_the_table_is_the_warranty_evidence(
    workspace: Path, tmp_path: Path
) -> None:
    sources = Sources(
        pins=partial(load_pins, Workspace(workspace)),
        updates=runs.store(),
        refreshes=workspace / "reports" / "refresh",
        history=checked(tmp_path, 1),
    )

    def drifted(project: Project, pins: Pins) -> DriftReport:
        return in_sync("staging")

    found = fleet_status([shop(workspace)], sources, NOW, drifted)
    assert "shop production: warranty void: staging not in sync: 1 differences (php build)" in (
        found.attention
    )
