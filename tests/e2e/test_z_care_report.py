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
from upkeep.cli.main import main
from upkeep.monitor.history import History
from upkeep.monitor.result import CheckResult, Status

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


def upkeep(lab: RunningLab, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["--root", str(lab.workspace.root), *args])
    out, err = capsys.readouterr()
    assert code == 0, err
    return code, out


def check(lab: RunningLab, capsys: pytest.CaptureFixture[str], history: Path) -> None:
    upkeep(lab, capsys, "check", "demo", "production", "--json", "--history", str(history))


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


def sla_report(
    lab: RunningLab, capsys: pytest.CaptureFixture[str], month: str, history: Path, fmt: str
) -> str:
    """``upkeep sla report demo`` for ``month`` over ``history``, as ``fmt`` text."""
    args = ("--month", month, "--history", str(history), "--format", fmt, "--output", "-")
    return upkeep(lab, capsys, "sla", "report", "demo", *args)[1]


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
    now = dt.datetime.now(WARSAW)
    month = f"{now:%Y-%m}"
    first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    bulk = backdated(history, first, now - dt.timedelta(hours=1))

    check(lab, capsys, history)  # the real checks: all well
    shell(lab, "production", "systemctl stop php8.2-fpm")
    try:
        check(lab, capsys, history)
        check(lab, capsys, history)  # the second failure in a row opens the incident
    finally:
        shell(lab, "production", "systemctl start php8.2-fpm")
    check(lab, capsys, history)
    check(lab, capsys, history)  # the second success resolves it

    sla = json.loads(sla_report(lab, capsys, month, history, "json"))
    [incident] = [i for i in sla["incidents"] if i["check"] == "services"]
    assert incident["resolved"] and sla["seconds"]["downtime"] > 0
    sla_md = sla_report(lab, capsys, month, history, "md")
    percent = re.search(r"\| Availability achieved \| ([0-9.]+) % \|", sla_md)
    assert percent is not None
    artifacts = tmp_path / "artifacts"
    texts = {}
    for language in ("pl", "en"):
        _, out = upkeep(
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
            f"{tmp_path / 'care'}/",
            "--json",
        )
        data = json.loads(out)["data"]
        assert data["sla"]["availability_percent"] == sla["availability_percent"]
        assert data["sla"]["seconds"] == sla["seconds"]
        assert data["sla"]["year_to_date"] == sla["year_to_date"]
        assert len(data["updates"]) >= (1 if updates else 0) and data["refreshes"]
        pdf = tmp_path / "care" / f"demo-{month}-{language}.pdf"
        assert str(pdf) in data["report_files"]
        artifacts.mkdir(exist_ok=True)
        subprocess.run(
            ["pdftoppm", "-r", "80", "-png", str(pdf), str(artifacts / f"care-{language}")],
            check=True,
        )
        texts[language] = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
    print(
        f"\ncare report: {bulk} backdated moments, {updates} updates, {refreshes} refreshes; "
        f"pages in {artifacts}"
    )
    assert len(list(artifacts.glob("care-pl-*.png"))) >= 2
    english, polish = texts["en"], texts["pl"]
    assert f"{percent[1]} %" in english and f"{percent[1].replace('.', ',')} %" in polish
    assert "Care report: demo" in english and "Raport opieki: demo" in polish
    assert f"#{incident['id']}" in english and "services" in polish
    for update in data["updates"]:  # the English one's: the same records
        assert update["to_build"] in english and update["to_build"] in polish
