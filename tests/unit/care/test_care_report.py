"""The monthly care report: the SLA report's own figures, in Polish and in English.

The month is test_sla_observed's hand-computed November 2026 (24/7 in
Europe/Warsaw, target 99.9 %, watched from the 6th, one 30-minute outage on
Tue 10 Nov): availability 99.916 %, 30 min down of 36 min allowed. The shop
is on the standard plan (accepted 1 Oct 2026, client language pl). Its
records are real ones: the update report upkeep.reports.update writes, and a
refresh report as upkeep.reports.refresh names it.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from tests.system_packages import ensure_packages
from tests.unit.sla.test_sla_observed import history, inventory  # noqa: F401 (a fixture)
from upkeep.care.monthly import care_report
from upkeep.care.proposals import Hours, UpgradeProposal, Window, write_proposal
from upkeep.care.report import RecordedUpdate, cves_in
from upkeep.cli.main import main
from upkeep.inventory import load_project
from upkeep.pipeline import RunState
from upkeep.reports import update as update_report
from upkeep.reports.care import render, render_pdf
from upkeep.reports.locale import LOCALE_DIR, Language
from upkeep.reports.update import write_fleet
from upkeep.sla.monthly import report_from_history
from upkeep.state import Run, open_store
from upkeep.update.fleet_report import FleetReport, ServerResult, WaveResult
from upkeep.update.report import UpdateReport
from upkeep.update.waves import FleetPlan
from upkeep.workspace import Workspace

PLANS = """\
plans:
  standard:
    sla: null
    major_proposals: true
"""
CARE = """\
care:
  plan: standard
  accepted: 2026-10-01
  client: {name: ACME sp. z o.o., contact: it@acme.example, language: pl}
"""
NOW = dt.datetime(2026, 12, 5, 9, tzinfo=dt.UTC)
CVE = "CVE-2026-129289"
SECURITY = f"8.2.36-1~deb12u1 (bookworm-security, urgency high), fixes {CVE}"
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def shop(workspace: Path, history: Path) -> Path:  # noqa: F811 (the fixture)
    """The shop on its care plan, its November watched, an update and a refresh recorded."""
    inventory(workspace, "{timezone: Europe/Warsaw}", 99.9)
    (workspace / "inventories" / "plans.yml").write_text(PLANS)
    with (workspace / "inventories" / "shop.yml").open("a") as text:
        text.write(CARE)
    update = UpdateReport(
        project="shop",
        site="www.shop.test",
        run_id="20261112T091500Z-ab12",
        state=RunState.SUCCEEDED,
        from_build="8.2.32-1~deb12u1",
        to_build="8.2.36-1~deb12u1",
        started="2026-11-12T09:15:00.000000Z",
        finished="2026-11-12T09:21:30.000000Z",
        error=None,
        steps=(),
        smoke=(),
        production_affected_seconds=8.0,
        staging_commit=None,
        production_commit=None,
        security=(SECURITY,),
    )
    update_report.write(update, workspace / "reports" / "update")
    refresh = {"project": "shop", "target": "production", "ok": True, "error": None}
    refreshes = workspace / "reports" / "refresh"
    refreshes.mkdir(parents=True)
    (refreshes / "shop-production-20261120T130000Z.json").write_text(json.dumps(refresh))
    (refreshes / "shop-production-20261002T130000Z.json").write_text(json.dumps(refresh))
    return history


def test_the_figures_are_the_sla_reports(workspace: Path, shop: Path) -> None:
    project = load_project(Workspace(workspace), "shop")
    care = care_report(Workspace(workspace), project, "2026-11", None, shop, NOW)
    sla = report_from_history(project, "2026-11", shop, NOW)
    assert care.sla is not None and care.sla.to_dict() == sla.to_dict()
    assert care.language == "pl"  # the client's
    data = care.to_dict()
    assert data["sla"]["availability_percent"] == sla.to_dict()["availability_percent"]
    assert data["sla"]["year_to_date"]["seconds"]["downtime"] == 1800.0
    assert [u["run_id"] for u in data["updates"]] == ["20261112T091500Z-ab12"]
    assert data["security_fixes"] == [CVE]
    assert [r["at"][:10] for r in data["refreshes"]] == ["2026-11-20"]  # October's is not in it
    [times] = data["response_times"]
    assert times["response_seconds"] == 1800.0  # resolved (so answered) after 30 min, 24/7
    assert times["response_allowed_seconds"] == 1800.0  # P1: 30 min
    assert data["warranty"]["status"] == "void"  # no check result in the last day of November
    assert data["coming"]["warranty_ends"].startswith("2026-12-30T00:00:00")


def test_polish_and_english_say_the_same_figures(workspace: Path, shop: Path) -> None:
    project = load_project(Workspace(workspace), "shop")
    pl = care_report(Workspace(workspace), project, "2026-11", "pl", shop, NOW)
    en = care_report(Workspace(workspace), project, "2026-11", "en", shop, NOW)
    polish, english = render(pl, "md"), render(en, "md")
    assert polish.startswith("# Raport opieki: shop, listopad 2026\n")
    assert english.startswith("# Care report: shop, November 2026\n")
    assert "| Ten miesiąc | 99,916 % | cel osiągnięty (cel 99,9 %) |" in polish
    assert "| This month | 99.916 % | target met (target 99.9 %) |" in english
    assert "| Niedostępność w tym miesiącu | 30 min | z dopuszczalnych 36 min |" in polish
    assert "| Downtime this month | 30 min | of 36 min allowed |" in english
    assert "wt. 10 lis 2026, 12:00" in polish and "Tue 10 Nov 2026, 12:00" in english
    assert f"Podatności usunięte w tym miesiącu: {CVE}." in polish
    assert "Gwarancja: utraciła ważność, ostatni dzień wt. 29 gru 2026." in polish
    assert "Warranty: void, last day Tue 29 Dec 2026." in english
    # why, in the client's language: the shop keeps no dev (nor staging)
    assert "2026. Środowisko dev nie istnieje, jest nieosiągalne lub niezgodne" in polish
    assert "2026. The dev environment is missing, unreachable or not in sync;" in english
    html = render(pl, "html")
    assert '<html lang="pl">' in html and "<script" not in html and "http" not in html
    assert html.count('<g class="open">') == 25  # the 6th to the 30th were watched
    assert 'class="late"' not in html and 'class="in-time"' in html  # the response chart


def test_the_pdf_holds_the_figures(workspace: Path, shop: Path, tmp_path: Path) -> None:
    ensure_packages("poppler-utils", "libpango-1.0-0", "libpangoft2-1.0-0", "fonts-dejavu-core")
    project = load_project(Workspace(workspace), "shop")
    report = care_report(Workspace(workspace), project, "2026-11", "pl", shop, NOW)
    pdf = tmp_path / "shop.pdf"
    pdf.write_bytes(render_pdf(report))
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Raport opieki: shop" in text and "99,916 %" in text and CVE in text


def test_locale_formats() -> None:
    pl, en = Language.of("pl"), Language.of("en")
    assert pl.percent(Fraction("99.99999")) == "99,999 %"  # rounded down, as the SLA report
    assert en.percent(Fraction("99.99999")) == "99.999 %"
    assert en.duration(dt.timedelta(hours=1200, minutes=1)) == "1,200 hr 1 min"
    assert pl.duration(dt.timedelta(hours=1200, minutes=1)) == "1\xa0200 godz. 1 min"
    assert pl.duration(dt.timedelta(seconds=36)) == "36 sek."
    assert pl.duration(dt.timedelta()) == "0 min"
    assert [pl.plural("%(n)s drift check", "%(n)s drift checks", n) for n in (1, 3, 5, 22)] == [
        "1 kontrola dryfu",
        "3 kontrole dryfu",
        "5 kontroli dryfu",
        "22 kontrole dryfu",
    ]
    assert pl.month(dt.date(2026, 2, 1)) == "luty 2026"


def test_every_message_is_translated_into_polish() -> None:
    """A new or changed text in the report fails here until locale/pl has it."""
    with (LOCALE_DIR / "babel.cfg").open() as config:  # what pybabel extract reads
        method_map, options = parse_mapping_cfg(config)
    keywords = {**DEFAULT_KEYWORDS, "say": None, "plural": (1, 2), "word": None}
    found = {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(
            ROOT, method_map, options, keywords=keywords, strip_comment_tags=True
        )
    }
    assert len(found) > 100
    with (LOCALE_DIR / "pl" / "LC_MESSAGES" / "upkeep.po").open("rb") as po:
        catalogue = read_po(po, locale="pl")
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalogue
        if m.id and all(m.string if isinstance(m.string, tuple) else (m.string,))
    }
    assert sorted(found - translated) == []


def test_security_fixes_come_from_the_changelog_lines() -> None:
    assert cves_in([SECURITY, f"8.2.35 fixes {CVE}, CVE-2026-7"]) == (CVE,)
    rolled_back = RecordedUpdate(
        "r", "rolled back", "a", "b", NOW, NOW, (SECURITY,), None, (), "x.json"
    )
    assert not rolled_back.applied  # its fixes are not the month's


def test_care_report_cli_writes_every_format(
    workspace: Path, shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = workspace / "out"
    args = ["care", "report", "shop", "--month", "2026-11", "--history", str(shop)]
    assert main([*args, "--lang", "en", "--output", f"{out}/"]) == 0
    assert (out / "shop-2026-11-en.md").read_text().startswith("# Care report: shop")
    assert (out / "shop-2026-11-en.pdf").read_bytes().startswith(b"%PDF-")
    assert sorted(path.suffix for path in out.iterdir()) == [".html", ".json", ".md", ".pdf"]
    said = capsys.readouterr().out
    assert "shop 2026-11 (en): 99.916 % available (target 99.9 %: met)" in said
    capsys.readouterr()
    assert main([*args, "--format", "json", "--output", "-"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert (printed["language"], printed["sla"]["verdict"]) == ("pl", "met")


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--month", "2026-13"], "month '2026-13' is not a month such as 2026-11 (YYYY-MM)"),
        (["--month", "2027-01"], "month 2027-01 has not begun"),
        (["--format", "pdf", "--output", "-"], "a PDF goes to a file"),
    ],
)
def test_bad_input_is_refused_in_a_line(
    workspace: Path, shop: Path, capsys: pytest.CaptureFixture[str], extra: list[str], says: str
) -> None:
    assert main(["care", "report", "shop", "--history", str(shop), *extra]) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (workspace / "reports" / "care").exists()


def test_drift_is_counted_from_the_run_record_and_what_is_not_recorded_is_said(
    workspace: Path,
    shop: Path,
) -> None:
    def run(number: int, command: str, code: int, day: int) -> Run:
        at = dt.datetime(2026, 11, day, 10, tzinfo=dt.UTC)
        status = "ok" if code == 0 else "failed"
        return Run(
            f"r{number}", at, at, "ops", "laptop", "1", command, ("shop",), status, code, 1, ()
        )

    with open_store() as store:
        store.record_run(run(1, "drift", 1, 3))  # found differences
        store.record_run(run(2, "provision", 0, 3))  # brought them back
        store.record_run(run(3, "drift", 0, 4))  # in sync
        store.record_run(run(4, "drift", 1, 1))
        store.record_run(run(5, "refresh", 0, 5))  # not a drift run
        december = dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC)
        store.record_run(
            Run("r6", december, december, "ops", "x", "1", "drift", ("shop",), "failed", 1, 1, ())
        )
    project = load_project(Workspace(workspace), "shop")
    report = care_report(Workspace(workspace), project, "2026-11", "en", shop, NOW)
    assert report.to_dict()["drift"]["checks"] == 3 and report.drift is not None
    assert (report.drift.found, report.drift.provisions) == (2, 1)
    text = render(report, "md")
    assert (
        "This month: 3 drift checks, of which 2 found differences; 1 provision run brought" in text
    )
    assert "What a drift check found is not recorded between runs" in text


def test_a_proposal_on_file_is_what_is_coming(workspace: Path, shop: Path) -> None:
    window = Window(
        dt.datetime(2027, 1, 10, 2, tzinfo=dt.UTC), dt.datetime(2027, 1, 10, 3, tzinfo=dt.UTC), ""
    )
    proposal = UpgradeProposal(
        "shop",
        "ACME sp. z o.o.",
        "it@acme.example",
        "pl",
        "8.2",
        "8.4",
        Hours(8.0, 12.5, 20.0),
        3,
        5,
        "shop@abc1234",
        window,
        "within the plan",
        (),
    )
    write_proposal(proposal, workspace / "reports" / "proposals", dt.UTC)
    project = load_project(Workspace(workspace), "shop")
    pl = care_report(Workspace(workspace), project, "2026-11", "pl", shop, NOW)
    assert [p["to_line"] for p in pl.to_dict()["coming"]["proposals"]] == ["8.4"]
    assert (
        "Złożona propozycja: PHP 8.2 → 8.4, około 12,5 godz. pracy, "
        "zalecany termin niedz. 10 sty 2027, 03:00." in render(pl, "md")
    )


def test_a_fleet_update_is_an_update_of_the_project_it_reached(workspace: Path, shop: Path) -> None:
    """``update minor --all`` writes one fleet report: production's server outcome is the
    shop's update; a server it never reached is no update at all."""

    def server(name: str, sites: tuple[str, ...], state: str) -> ServerResult:
        return ServerResult(name, sites, "8.2.36-1~deb12u1", "8.2.37-1~deb12u1", state)

    def fleet(run_id: str, started: str, production: ServerResult) -> FleetReport:
        waves = (
            WaveResult("staging", "staging", (server("web2", ("shop/staging",), "updated"),), None),
            WaveResult("canary", "production", (production,), None),
        )
        return FleetReport(
            run_id, RunState.SUCCEEDED, started, None, None, FleetPlan(()), waves, (SECURITY,)
        )

    reached = fleet(
        "20261125T020000Z-cd34",
        "2026-11-25T02:00:00.000000Z",
        server("web1", ("shop/production", "blog/production"), "updated"),
    )
    missed = fleet(
        "20261126T020000Z-ef56",
        "2026-11-26T02:00:00.000000Z",
        server("web1", ("shop/production",), "not reached"),
    )
    for report in (reached, missed):
        write_fleet(report, workspace / "reports" / "update")
    project = load_project(Workspace(workspace), "shop")
    care = care_report(Workspace(workspace), project, "2026-11", "en", shop, NOW).to_dict()
    assert [(u["run_id"], u["state"], u["to_build"]) for u in care["updates"]] == [
        ("20261112T091500Z-ab12", "succeeded", "8.2.36-1~deb12u1"),
        ("20261125T020000Z-cd34", "succeeded", "8.2.37-1~deb12u1"),
    ]


@pytest.mark.parametrize("own", [True, False])
def test_the_plan_names_the_sla_the_report_measures(workspace: Path, shop: Path, own: bool) -> None:
    """A project's own sla: wins over its plan's policy, and the report says whose it is."""
    (workspace / "inventories" / "plans.yml").write_text(
        "sla:\n  round-the-clock: {target: 99.95, calendar: {timezone: Europe/Warsaw}}\n"
        "plans:\n  standard: {sla: round-the-clock, major_proposals: true}\n"
    )
    if not own:
        path = workspace / "inventories" / "shop.yml"
        text = path.read_text()
        start = text.index("sla:\n")
        path.write_text(text[:start] + text[text.index("environments:\n") :])
    project = load_project(Workspace(workspace), "shop")
    assert project.sla is not None and project.sla_from_plan is not own
    care = care_report(Workspace(workspace), project, "2026-11", "en", shop, NOW)
    said = "the project's own" if own else "round-the-clock"
    assert f"| SLA | {said} |" in render(care, "md")
    target = "99.9 %" if own else "99.95 %"
    assert f"(target {target})" in render(care, "md")
