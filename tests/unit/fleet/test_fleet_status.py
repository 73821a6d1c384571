"""`upkeep fleet status`: every figure from a real record — a SQLite history written by the
monitor's own recorder, update journals saved by the pipeline's JournalStore, refresh
reports written by the refresh report writer — in a temporary workspace; each attention
rule both ways, the --json envelope and the table."""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import partial
from pathlib import Path

import pytest

from tests.unit.cli.test_check import INVENTORY  # shop: staging and production, an SLA
from tests.unit.run_cli import run_cli as run
from upkeep.drift.compare import DriftItem, DriftReport
from upkeep.fleet.status import FleetStatus, Sources, fleet_status
from upkeep.inventory import Project, load_project
from upkeep.inventory.pins import Pins, load_pins
from upkeep.monitor.history import History
from upkeep.monitor.result import CheckResult, Metric, Status
from upkeep.pipeline import RunState
from upkeep.refresh.workflow import RefreshReport
from upkeep.reports.refresh import write as write_refresh_report
from upkeep.update import runs
from upkeep.workspace import Workspace

NOW = dt.datetime(2026, 12, 10, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def repo(workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("UPKEEP_STATE_DIR", str(tmp_path / "state"))
    (workspace / "inventories" / "shop.yml").write_text(INVENTORY)
    return workspace


@pytest.fixture
def project(repo: Path) -> Project:
    return load_project(Workspace(repo), "shop")


@pytest.fixture
def history_path(state_store: Path) -> Path:
    """Where ``upkeep check`` keeps the history by default: the state store
    (UPKEEP_DATABASE_URL, tests/unit/conftest.py)."""
    return state_store


def status_of(repo: Path, project: Project, history: Path | None, **kwargs: object) -> FleetStatus:
    sources = Sources(
        pins=partial(load_pins, Workspace(repo)),
        updates=runs.store(),
        refreshes=repo / "reports" / "refresh",
        history=history,
    )
    return fleet_status([project], sources, NOW, **kwargs)  # type: ignore[arg-type]


def record(path: Path, *results: CheckResult) -> None:
    with History(path) as history:
        history.record(list(results))


def result(
    env: str, check: str, status: Status, minutes_ago: float, kind: str = "http", **more: object
) -> CheckResult:
    at = NOW - dt.timedelta(minutes=minutes_ago)
    return CheckResult("shop", env, check, status, status.name, at=at, kind=kind, **more)  # type: ignore[arg-type]


def cell(status: FleetStatus, env: str, name: str) -> str:
    row = next(row for row in status.rows if row.environment == env)
    return row.figures()[name].text


def test_a_project_never_checked_needs_no_attention(repo: Path, project: Project) -> None:
    status = status_of(repo, project, None)
    assert [(row.environment, row.servers) for row in status.rows] == [
        ("staging", ("shop-staging",)),
        ("production", ("shop-production",)),
    ]
    assert status.attention == ()
    assert cell(status, "production", "php_offered") == "not checked"
    assert cell(status, "production", "last_update") == "none recorded"
    assert cell(status, "production", "last_refresh") == "none recorded"
    assert cell(status, "production", "drift") == "not checked"
    assert cell(status, "production", "open_incidents") == "not checked"
    assert cell(status, "production", "sla") == "not observed"
    assert cell(status, "production", "certificate") == "not checked"


@pytest.mark.parametrize(
    ("ended", "attention"),
    [
        (None, True),  # still running, or died mid-run
        (RunState.FAILED, True),
        (RunState.ROLLED_BACK, True),
        (RunState.SUCCEEDED, False),
        (RunState.NOTHING_TO_DO, False),
    ],
)
def test_an_unfinished_or_failed_update_needs_attention(
    repo: Path, project: Project, ended: RunState | None, attention: bool
) -> None:
    journal = runs.started("shop", "8.2.32-1~deb12u1", "8.2.36-1~deb12u1", ("lock", "bump"))
    journal.step("lock").finish("locked")
    if ended is not None:
        journal.end(ended, None if ended is RunState.SUCCEEDED else "smoke failed")
    runs.store().save(journal)
    status = status_of(repo, project, None)
    assert cell(status, "staging", "php_offered") == "8.2.36-1~deb12u1"
    assert cell(status, "staging", "last_update") == journal.where()
    source = next(iter(status.rows)).last_update.source
    assert runs.store().source("shop") in source and journal.run_id in source
    assert status.needs_attention is attention
    if attention:
        assert status.attention == (
            f"shop: update {journal.where()} ({runs.store().source('shop')})",
        )


def test_an_open_incident_needs_attention_and_a_resolved_one_not(
    repo: Path, project: Project, history_path: Path
) -> None:
    record(history_path, *(result("staging", "health", Status.CRITICAL, m) for m in (30, 25)))
    status = status_of(repo, project, history_path)
    assert cell(status, "staging", "open_incidents") == "1"
    assert status.attention == ("shop staging: open incidents: #1 CRITICAL",)
    record(history_path, *(result("staging", "health", Status.OK, m) for m in (20, 15)))
    status = status_of(repo, project, history_path)
    assert cell(status, "staging", "open_incidents") == "0"
    assert status.attention == ()


@pytest.mark.parametrize(
    ("days_then", "attention"), [(15.5, False), (15.0, True), (14.5, True), (40, False)]
)
def test_a_certificate_at_its_warning_tier_needs_attention(
    repo: Path, project: Project, history_path: Path, days_then: float, attention: bool
) -> None:
    # Recorded a day ago: 15.5 days left then is 14.5 now, over the warning tier (14); 15 is at it.
    metric = Metric(days_then, warn=14, crit=7, lower_is_worse=True)
    metrics = {"days_left": metric}
    tls = result("production", "certificate", Status.OK, 24 * 60, "tls", metrics=metrics)
    record(history_path, tls)
    status = status_of(repo, project, history_path)
    days = days_then - 1
    assert cell(status, "production", "certificate") == f"{days:.1f} days"
    assert next(r for r in status.rows if r.environment == "production").certificate.source == (
        "certificate check at 2026-12-09 12:00 UTC"
    )
    assert cell(status, "staging", "certificate") == "not checked"
    expected = (f"shop production: certificate expires in {days:.1f} days (warning at 14)",)
    assert status.attention == (expected if attention else ())


def test_sla_under_target_needs_attention(repo: Path, project: Project, history_path: Path) -> None:
    # Four hours watched every 10 minutes, production down for one of them: 75 % < 99.5 %.
    down = range(60, 120, 10)
    record(
        history_path,
        *(
            result("production", "health", Status.CRITICAL if m in down else Status.OK, m + 0)
            for m in range(0, 240, 10)
        ),
    )
    status = status_of(repo, project, history_path)
    sla = cell(status, "production", "sla")
    assert sla.endswith("% (target 99.5%)") and float(sla.split("%")[0]) < 80
    assert cell(status, "staging", "sla") == "-"
    assert status.attention == (f"shop production: SLA this month {sla}: under target",)


def test_sla_on_target_needs_no_attention(repo: Path, project: Project, history_path: Path) -> None:
    record(
        history_path,
        *(result("production", "health", Status.OK, m) for m in range(0, 240, 10)),
    )
    status = status_of(repo, project, history_path)
    assert cell(status, "production", "sla") == "100.000% (target 99.5%)"
    assert status.attention == ()


def _drift(items: tuple[DriftItem, ...]) -> DriftReport:
    return DriftReport("shop", ("staging", "production"), items, {})


def test_drift_found_needs_attention_and_in_sync_not(repo: Path, project: Project) -> None:
    asked: list[str] = []

    def found(project: Project, pins: Pins) -> DriftReport:
        asked.append(project.name)
        return _drift((DriftItem("staging", "shop-staging", "php build", "8.2.36", "8.2.32"),))

    status = status_of(repo, project, None, drift=found)
    assert asked == ["shop"]
    assert cell(status, "staging", "drift") == "1 differences"
    assert cell(status, "production", "drift") == "in sync"
    assert status.attention == ("shop staging: drift found (php build)",)
    in_sync = status_of(repo, project, None, drift=lambda project, pins: _drift(()))
    assert in_sync.attention == ()


def test_the_last_refresh_is_the_newest_report_and_says_which(repo: Path, project: Project) -> None:
    directory = repo / "reports" / "refresh"
    older = RefreshReport("shop", "production", "staging", ok=True, steps=())
    newer = RefreshReport("shop", "production", "staging", ok=False, steps=(), error="dump failed")
    write_refresh_report(older, directory, NOW - dt.timedelta(days=2))
    paths = write_refresh_report(newer, directory, NOW - dt.timedelta(days=1))
    status = status_of(repo, project, None)
    staging = next(r for r in status.rows if r.environment == "staging")
    assert staging.last_refresh.text == "2026-12-09 12:00 UTC failed: dump failed"
    assert staging.last_refresh.source == str(next(p for p in paths if p.suffix == ".json"))
    assert cell(status, "production", "last_refresh") == "none recorded"


# ---- the command --------------------------------------------------------------------------


def test_the_json_envelope_says_attention_and_exits_1(
    repo: Path, history_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = dt.datetime.now(dt.UTC)
    record(
        history_path,
        *(
            CheckResult("shop", "staging", "health", Status.CRITICAL, "down", at=now - ago)
            for ago in (dt.timedelta(minutes=10), dt.timedelta(minutes=5))
        ),
    )
    code, out, err = run(capsys, "fleet", "status", "--json")
    envelope = json.loads(out)
    assert (code, err) == (1, "")
    assert (envelope["command"], envelope["status"], envelope["exit_code"]) == (
        "fleet status",
        "attention",
        1,
    )
    assert envelope["errors"] == [{"message": "shop staging: open incidents: #1 down"}]
    assert envelope["data"]["attention"] == ["shop staging: open incidents: #1 down"]
    staging = envelope["data"]["rows"][0]
    assert (staging["project"], staging["environment"], staging["servers"]) == (
        "shop",
        "staging",
        ["shop-staging"],
    )
    assert staging["open_incidents"] == {"text": "1", "source": f"history {history_path}"}


def test_the_table_lists_rows_sources_and_says_nothing_needs_attention(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs.store().save(runs.started("shop", "8.2.32-1~deb12u1", "8.2.36-1~deb12u1", ()))
    journal = runs.store().load("shop")
    assert journal is not None
    journal.end(RunState.SUCCEEDED)
    runs.store().save(journal)
    code, out, _ = run(capsys, "fleet", "status", "shop")
    lines = out.splitlines()
    assert code == 0
    headers = "project  env  servers  PHP pinned  newest offered  ref  last refresh  last update"
    assert re.split(r" {2,}", lines[0]) == [
        *headers.split("  "),
        *("drift", "incidents", "SLA month", "certificate", "warranty"),
    ]
    assert lines[2].startswith(
        "shop     staging     shop-staging     not pinned  8.2.36-1~deb12u1 [1]"
    )
    assert lines[3].startswith("shop     production  shop-production")
    assert lines[4] == f"[1] update run {journal.run_id}, {runs.store().source('shop')}"
    assert lines[-1] == "nothing needs attention"


def test_bad_input_is_one_line_and_exit_2(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "fleet", "status", "nope")
    assert (code, out) == (2, "")
    assert err.startswith("upkeep: no project 'nope' in ") and err.count("\n") == 1
    missing = tmp_path / "none.db"
    code, out, err = run(capsys, "fleet", "status", "--history", str(missing))
    assert (code, out, err) == (
        2,
        "",
        f"upkeep: {missing}: no such monitoring history (check the path)\n",
    )


def test_the_fleet_is_narrowed_with_the_one_selector_grammar(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "fleet", "status", "--all")
    assert code == 0 and out.splitlines()[2].startswith("shop ")
    code, out, err = run(capsys, "fleet", "status", "--where", "client=nobody")
    assert (code, out) == (2, "")
    assert err.startswith("upkeep: no project matches client=nobody in ")
    code, _, err = run(capsys, "fleet", "status", "shop", "--all")
    assert code == 2 and "not both" in err
