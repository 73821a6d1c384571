"""`upkeep dashboard build`: the page model from fleet status rows (every figure, in their
order, with its source), and a site built from real records — a history written by the
monitor's recorder, a run and its SLA reports written by `upkeep sla report` — that is
self-contained, rebuilt byte for byte, and never spills into a directory it did not build."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, fields
from functools import partial
from pathlib import Path

import pytest

from tests.unit.cli.test_check import repo  # noqa: F401  (the fixture: shop, staging and production, an SLA)
from tests.unit.run_cli import run_cli as run
from upkeep.dashboard.build import build_site
from upkeep.dashboard.model import fleet_page, table
from upkeep.dashboard.records import report_files
from upkeep.dashboard.site import MARKER, write_site
from upkeep.fleet.status import EnvironmentStatus, Figure, FleetStatus, Sources
from upkeep.inventory import load_project
from upkeep.inventory.pins import load_pins
from upkeep.monitor.history import History
from upkeep.monitor.result import CheckResult, Status
from upkeep.state import Run
from upkeep.update import runs
from upkeep.workspace import Workspace

NOW = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)


def row(project: str, env: str, **texts: str) -> EnvironmentStatus:
    """A row with every figure the status has: those in ``texts`` with a source of their own."""
    names = [field.name for field in fields(EnvironmentStatus)][3:]  # after project, env, servers
    figures = {
        name: Figure(texts.get(name, "not checked"), f"{name} source" if name in texts else "")
        for name in names
    }
    return EnvironmentStatus(project, env, (f"{project}-{env}",), **figures)


NEXT_VISIT = Figure("2027-01-12", "care calendar")


@dataclass(frozen=True)
class WithVisits(EnvironmentStatus):
    """A row with one more figure, as another part of upkeep may add one."""

    next_visit: Figure = NEXT_VISIT

    def figures(self) -> dict[str, Figure]:
        return {**super().figures(), "next_visit": self.next_visit}


# ---- the page model -----------------------------------------------------------------------


def test_the_columns_are_the_rows_figures_in_their_order_and_a_new_one_shows_up() -> None:
    plain = row("shop", "production", php_pinned="8.2.32-1~deb12u1", sla="99.900% (target 99.5%)")
    extended = WithVisits(**{name: getattr(plain, name) for name in plain.__dataclass_fields__})
    page = fleet_page(FleetStatus((extended,), ()), NOW)
    labels = [column.label for column in page.table.columns]
    assert labels[:3] == ["PHP pinned", "newest offered", "ref"]
    assert labels[-3:] == ["certificate", "warranty", "next visit"]
    cells = page.table.rows[0].cells
    assert [cell.text for cell in cells] == [f.text for f in extended.figures().values()]
    assert cells[-1].text == "2027-01-12"


def test_each_source_is_one_numbered_note_shared_by_the_cells_that_cite_it() -> None:
    rows = (
        row("shop", "staging", php_pinned="8.2.32", certificate="80.0 days"),
        row("shop", "production", php_pinned="8.2.32"),
    )
    found = table(rows, ())
    assert found.sources == ("php_pinned source", "certificate source")
    staging, production = (
        {c.key: cell for c, cell in zip(found.columns, r.cells, strict=True)} for r in found.rows
    )
    assert (staging["php_pinned"].note, staging["certificate"].note) == (1, 2)
    assert (production["php_pinned"].note, production["certificate"].note) == (1, None)


def test_a_row_is_marked_by_the_attention_lines_that_name_it_and_only_those() -> None:
    rows = (row("shop", "staging"), row("shop", "production"), row("shop-eu", "production"))
    attention = (
        "shop production: open incidents: #1 down",
        "shop: update failed at smoke (journal)",
        "fleet update failed at wave 2 (journal)",
    )
    marked = {(r.project, r.environment): r.attention for r in table(rows, attention).rows}
    assert marked == {
        ("shop", "staging"): (),
        ("shop", "production"): ("shop production: open incidents: #1 down",),
        ("shop-eu", "production"): (),
    }


def test_a_projects_reports_are_its_own_not_a_longer_named_projects(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    (reports / "sla").mkdir(parents=True)
    for name in ("shop-2026-11.md", "shop-2026-11.html", "shop-eu-2026-11.md", "other-2026-11.md"):
        (reports / "sla" / name).write_text(name)
    (reports / "ci").mkdir()
    (reports / "ci" / "shop-check.log").write_text("a scheduled job's log, not a report")
    (reports / "update").mkdir()
    (reports / "update" / "fleet-20261206T101010Z.md").write_text("the fleet's update")
    at = dt.datetime(2026, 12, 6, 10, 10, 10, tzinfo=dt.UTC)
    fleet_run = Run(
        "r1",
        at,
        at,
        "ops@laptop",
        "laptop",
        "1",
        "update minor",
        ("shop", "shop-eu"),
        "ok",
        0,
        1.0,
        ("reports/update/fleet-20261206T101010Z.md", "reports/sla/shop-eu-2026-11.md"),
    )
    found = report_files("shop", [fleet_run], reports, others=["shop", "shop-eu", "other"])
    assert sorted(report.path.name for report in found) == ["shop-2026-11.html", "shop-2026-11.md"]
    alone = fleet_run.__class__(**{**fleet_run.__dict__, "projects": ("shop",)})
    found = report_files("shop", [alone], reports, others=["shop", "shop-eu", "other"])
    # A run for this project alone wrote its reports whatever their names; when it did.
    written = {report.path.name: report.written for report in found}
    assert written["fleet-20261206T101010Z.md"] == at


# ---- a site from real records -------------------------------------------------------------


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """Production watched from three hours ago to one hour ago, down for 20 minutes of it (an
    incident); ended an hour ago, so this month's figure no longer moves as time passes."""
    path = tmp_path / "monitor.db"
    results = []
    for minutes_ago in range(180, 60, -5):
        down = 120 >= minutes_ago > 100
        status = Status.CRITICAL if down else Status.OK
        at = NOW - dt.timedelta(minutes=minutes_ago)
        results.append(
            CheckResult("shop", "production", "health", status, "502" if down else "200", at=at)
        )
    with History(path) as recorder:
        recorder.record(results)
    return path


def sources(root: Path, history: Path) -> Sources:
    return Sources(
        pins=partial(load_pins, Workspace(root)),
        updates=runs.store(),
        refreshes=root / "reports" / "refresh",
        history=history,
    )


@pytest.mark.usefixtures("repo")
def test_the_site_shows_the_fleet_status_figures_and_links_each_projects_reports(
    workspace: Path, history: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, _ = run(capsys, "sla", "report", "shop", "--history", str(history))
    assert code == 0
    site = tmp_path / "site"
    code, out, err = run(
        capsys, "dashboard", "build", "--history", str(history), "--output", str(site), "--json"
    )
    assert (code, err) == (0, "")
    assert json.loads(out)["data"]["index"] == str(site / "index.html")
    _, out, _ = run(capsys, "fleet", "status", "--history", str(history), "--json")
    expected = {r["environment"]: r for r in json.loads(out)["data"]["rows"]}
    fleet = (site / "index.html").read_text()
    assert 'href="projects/shop.html"' in fleet and 'href="style.css"' in fleet
    assert f'<td class="sla">{expected["production"]["sla"]["text"]}<sup>' in fleet
    assert f'<td class="php_pinned">{expected["staging"]["php_pinned"]["text"]}</td>' in fleet
    assert "<script" not in fleet and "http" not in fleet.replace("http-equiv", "")
    page = (site / "projects" / "shop.html").read_text()
    month = NOW.strftime("%Y-%m")
    for fmt in ("md", "html", "json"):  # copied, and linked relatively
        assert f'href="../reports/sla/shop-{month}.{fmt}"' in page
        copied = site / "reports" / "sla" / f"shop-{month}.{fmt}"
        assert copied.read_bytes() == (workspace / "reports" / "sla" / copied.name).read_bytes()
    assert "upkeep sla report" in page  # the run that wrote them, from the state store
    # SLA by month: from the first month monitoring watched (this one), not empty months before.
    assert re.findall(r"<tr><td>(\d{4}-\d{2})</td>", page) == [month]
    assert re.search(r"<td>1</td><td>production</td><td>health</td><td>P1</td>", page)
    assert "<script" not in page


@pytest.mark.usefixtures("repo")
def test_a_rebuild_of_the_same_records_writes_the_same_bytes_and_drops_what_went(
    workspace: Path, history: Path, tmp_path: Path
) -> None:
    root = Workspace(workspace)
    project = load_project(root, "shop")
    site = tmp_path / "site"
    first = build_site(root, [project], sources(workspace, history), site, NOW)
    before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    (site / "projects" / "gone.html").write_text("a project no longer in the fleet")
    again = build_site(root, [project], sources(workspace, history), site, NOW)
    assert (first.changed, again.changed, again.removed) == (first.files, 0, 1)
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == before


@pytest.mark.usefixtures("repo")
def test_a_directory_upkeep_did_not_build_is_refused_with_nothing_written(
    workspace: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    elsewhere = tmp_path / "photos"
    elsewhere.mkdir()
    (elsewhere / "cat.jpg").write_text("a cat")
    code, out, err = run(capsys, "dashboard", "build", "--output", str(elsewhere))
    assert code == 2 and out == ""
    assert err == (
        f"upkeep: {elsewhere}: not empty and not a dashboard upkeep built; "
        "choose a new or empty directory for --output\n"
    )
    assert [p.name for p in elsewhere.iterdir()] == ["cat.jpg"]
    assert write_site(tmp_path / "new", {"index.html": b"x"}).files == 2
    assert (tmp_path / "new" / MARKER).is_file()


@pytest.mark.usefixtures("repo")
def test_building_the_dashboard_is_not_a_run_of_its_own(
    workspace: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, _ = run(capsys, "dashboard", "build", "--output", str(tmp_path / "site"))
    assert code == 0
    _, out, _ = run(capsys, "runs", "--json")
    assert json.loads(out)["data"] == []
