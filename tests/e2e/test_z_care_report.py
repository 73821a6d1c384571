"""The monthly care report end to end (issue 19's acceptance): a month of check results, an
outage provoked on production, an update and a refresh, then the report in Polish and in
English, its PDF rendered, turned into PNGs and read back for the SLA report's figures.

Named to run after the update and refresh tests: their reports are this month's records
(run alone, one refresh and one minor update run here first). The month so far is this
month: its first days are results recorded with backdated times through History.record (a
health and a services result every 30 minutes, all OK), the rest real `upkeep check` runs
on production, PHP-FPM stopped between two of them. The demo's SLA is made 24/7 (and its
maintenance window left out) meanwhile, so the outage counts whatever day CI runs on.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.system_packages import ensure_packages
from upkeep.care.monthly import care_report
from upkeep.cli.main import main
from upkeep.inventory import load_project
from upkeep.monitor.history import History
from upkeep.monitor.result import CheckResult, Status
from upkeep.reports.care import FORMATS, render_pdf
from upkeep.reports.locale import Language
from upkeep.reports.sla import render as render_sla
from upkeep.sla.monthly import report_from_history

from .conftest import RunningLab
from .hosts import shell

WARSAW = ZoneInfo("Europe/Warsaw")
SPACING = dt.timedelta(minutes=30)
BUSINESS_HOURS = '    hours: {mon-fri: "09:00-17:00"}\n    holidays: PL\n'


@pytest.fixture(scope="module")
def lab(provisioned: RunningLab) -> Iterator[RunningLab]:
    """The demo with a 24/7 SLA and no maintenance window for the module's time."""
    path = provisioned.workspace.inventories / "demo.yml"
    text = path.read_text()
    assert BUSINESS_HOURS in text
    always = text.replace(BUSINESS_HOURS, "")
    path.write_text(always.split("\nmaintenance:", 1)[0] + "\n" + _environments(always))
    yield provisioned
    path.write_text(text)


def _environments(text: str) -> str:
    """What follows the maintenance section: the environments (servers named there)."""
    return text[text.index("# Each environment names its servers") :]


def run(lab: RunningLab, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["--root", str(lab.workspace.root), *args])
    return code, capsys.readouterr().out


def upkeep(lab: RunningLab, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code, out = run(lab, capsys, *args)
    assert code == 0, out
    return out


def check(lab: RunningLab, capsys: pytest.CaptureFixture[str], history: Path) -> int:
    """A real ``upkeep check`` of production: its exit code (2: CRITICAL)."""
    return run(lab, capsys, "check", "demo", "production", "--history", str(history))[0]


def backdated(history: Path, start: dt.datetime, end: dt.datetime) -> int:
    """Production's health and services results, all OK, every 30 minutes from start to end."""
    moments = [start + n * SPACING for n in range((end - start) // SPACING)]
    results = [
        CheckResult("demo", "production", name, Status.OK, "ok (backdated)", at, kind=kind)
        for at in moments
        for name, kind in (("health", "http"), ("services", "services"))
    ]
    with History(history) as kept:
        assert kept.record(results) == []  # no incident: all OK
    return len(moments)


def records(lab: RunningLab, capsys: pytest.CaptureFixture[str]) -> tuple[int, int]:
    """This month's update and refresh reports: the suite's, or one of each made here."""
    reports = lab.workspace.reports
    if not list((reports / "refresh").glob("demo-staging-*.json")):
        upkeep(lab, capsys, "refresh", "demo", "--yes")
    if not list((reports / "update").glob("demo-*.json")):
        upkeep(lab, capsys, "update", "minor", "demo", "--yes")
    return len(list((reports / "update").glob("demo-*.json"))), len(
        list((reports / "refresh").glob("demo-staging-*.json"))
    )


def test_the_care_report_in_polish_and_english_holds_the_sla_reports_figures(
    lab: RunningLab, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ensure_packages("poppler-utils", "libpango-1.0-0", "libpangoft2-1.0-0", "fonts-dejavu-core")
    updates, refreshes = records(lab, capsys)
    history = tmp_path / "monitor.db"
    month = f"{dt.datetime.now(WARSAW):%Y-%m}"  # the month so far
    first = dt.datetime.strptime(month, "%Y-%m").replace(tzinfo=WARSAW)
    bulk = backdated(history, first, dt.datetime.now(WARSAW) - dt.timedelta(hours=1))

    assert check(lab, capsys, history) == 0  # the real checks: all well
    shell(lab, "production", "systemctl stop php8.2-fpm")
    try:
        assert check(lab, capsys, history) == 2
        assert check(lab, capsys, history) == 2  # the second failure in a row opens the incident
    finally:
        shell(lab, "production", "systemctl start php8.2-fpm")
    check(lab, capsys, history)
    assert check(lab, capsys, history) == 0  # the second success resolves it

    # A month still running is measured up to now: one moment for the SLA report and both
    # care reports, so each figure can be compared whole.
    now = dt.datetime.now(dt.UTC)
    workspace = lab.workspace
    project = load_project(workspace, "demo")
    sla = report_from_history(project, month, history, now)
    [incident] = [line.incident for line in sla.incidents if line.incident.check == "services"]
    assert incident.resolved is not None and sla.availability.downtime > dt.timedelta()
    figures = sla.to_dict()
    percent = re.search(r"\| Availability achieved \| ([0-9.]+) % \|", render_sla(sla, "md"))
    assert percent is not None and figures["year_to_date"]["seconds"]["downtime"] > 0
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    texts = {}
    for language in ("pl", "en"):
        care = care_report(workspace, project, month, language, history, now)
        assert care.sla is not None and care.sla.to_dict() == figures
        pdf = artifacts / f"demo-{month}-{language}.pdf"
        pdf.write_bytes(render_pdf(care))
        subprocess.run(
            ["pdftoppm", "-r", "80", "-png", str(pdf), str(artifacts / f"care-{language}")],
            check=True,
        )
        texts[language] = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
    english, polish = texts["en"], texts["pl"]
    print(
        f"\ncare report: {bulk} backdated moments, {updates} update and {refreshes} refresh "
        f"reports; availability {percent[1]} %; pages in {artifacts}"
    )
    assert len(list(artifacts.glob("care-pl-*.png"))) >= 2
    assert f"{percent[1]} %" in english and f"{percent[1].replace('.', ',')} %" in polish
    assert "Care report: demo" in english and "Raport opieki: demo" in polish
    downtime = sla.availability.downtime
    assert Language.of("en").duration(downtime) in english
    assert Language.of("pl").duration(downtime) in polish
    assert "services" in english and "services" in polish

    # The command writes the same documents, every format, for each language.
    out = tmp_path / "care"
    for language in ("pl", "en"):
        data = json.loads(
            upkeep(
                lab,
                capsys,
                "care",
                "report",
                "demo",
                "--month",
                month,
                "--lang",
                language,
                "--history",
                str(history),
                "--output",
                f"{out}/",
                "--json",
            )
        )["data"]
        assert data["sla"]["seconds"]["downtime"] == figures["seconds"]["downtime"]
        assert [i["id"] for i in data["sla"]["incidents"]] == [
            i["id"] for i in figures["incidents"]
        ]
        for update in data["updates"]:
            assert update["to_build"] in english  # this month's updates, the same records
    written = sorted(path.name for path in out.iterdir())
    assert written == sorted(
        f"demo-{month}-{lang}.{fmt}" for lang in ("pl", "en") for fmt in FORMATS
    )
