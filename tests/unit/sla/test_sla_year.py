"""A year's SLA (contracts state downtime as hours a year) and a month's year to date.

The hand-computed year: 2025, 24/7 in Europe/Warsaw, target 99.5 %, all of it
watched. 365 days = 8760 h (the hour lost in March comes back in October);
allowed 0.5 % of that = 43.8 h = 43 h 48 min. Two outages: Mon 10 Feb
10:00–15:00 (5 h) and Mon 10 Mar 10:00–12:00 (2 h). February alone (672 h,
allowed 3 h 21 min 36 s) is missed; March (743 h: 30 Mar has 23 h, allowed
3 h 42 min 54 s) is met; the year (7 h of 43 h 48 min) is met.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tests.unit.sla.conftest import at, policy
from tests.unit.sla.test_sla_observed import history, inventory  # noqa: F401 (a fixture)
from upkeep.cli.main import main
from upkeep.reports.sla import render
from upkeep.sla.incidents import SlaIncident
from upkeep.sla.report import build_report

ALWAYS = {"hours": None, "holidays": None}


def outage(number: int, opened: dt.datetime, hours: int) -> SlaIncident:
    return SlaIncident(
        number, "health", "production", "P1", opened, resolved=opened + dt.timedelta(hours=hours)
    )


def test_a_year_is_judged_whole_and_month_by_month() -> None:
    incidents = [outage(1, at(2025, 2, 10, 10), 5), outage(2, at(2025, 3, 10, 10), 2)]
    now = at(2026, 1, 5)
    year = build_report(policy(99.5, **ALWAYS), "shop", "2025", incidents, [], now=now)
    data = year.to_dict()
    assert (data["year"], data["verdict"]) == ("2025", "met")
    assert data["seconds"]["service"] == 8760 * 3600
    assert data["seconds"]["allowed"] == 43.8 * 3600
    assert data["seconds"]["downtime"] == 7 * 3600
    assert data["availability_percent"] == pytest.approx(100 * (1 - 7 / 8760))
    months = data["months"]
    assert len(months) == 12
    assert [m["start"][:7] for m in months] == [f"2025-{n:02d}" for n in range(1, 13)]
    february, march = months[1], months[2]
    assert february["seconds"]["allowed"] == pytest.approx(672 * 3600 * 0.005)
    assert (february["seconds"]["downtime"], february["verdict"]) == (5 * 3600, "missed")
    assert march["seconds"]["service"] == 743 * 3600
    assert (march["seconds"]["downtime"], march["verdict"]) == (2 * 3600, "met")
    assert {m["verdict"] for m in months[3:]} == {"met"}
    assert len(data["incidents"]) == 2 and "days" in data

    md = render(year, "md")
    assert md.startswith("# SLA report: shop, 2025\n")
    assert "| Downtime allowed | 43 h 48 min |" in md
    assert "| February | 99.255 % | missed | 672 h |" in md
    assert "the year" in md and "this month" not in md
    html = render(year, "html")
    assert "<h2>Months</h2>" in html and "Availability by day" not in html  # no 365 bars


def test_a_running_year_has_months_not_begun() -> None:
    year = build_report(policy(99.5, **ALWAYS), "shop", "2026", [], [], now=at(2026, 3, 15))
    verdicts = [m["verdict"] for m in year.to_dict()["months"]]
    assert verdicts == ["met", "met", "on track"] + ["not begun"] * 9
    assert year.availability.verdict == "on track"


def test_a_months_report_carries_its_year_to_date_and_the_year_report_agrees(
    workspace: Path,
    history: Path,  # noqa: F811 (the fixture)
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Watched from 6 November: the year so far is November's watched part, no more."""
    inventory(workspace, "{timezone: Europe/Warsaw}", 99.9)
    out = tmp_path / "out"
    args = ["sla", "report", "shop", "--output", str(out), "--history", str(history)]
    assert main([*args, "--month", "2026-11"]) == 0
    assert main([*args, "--year", "2026"]) == 0
    month = json.loads((out / "shop-2026-11.json").read_text())
    year = json.loads((out / "shop-2026.json").read_text())
    so_far = month["year_to_date"]
    assert so_far["start"].startswith("2026-01-01T00:00:00")
    assert so_far["end"].startswith("2026-12-01T00:00:00")
    assert so_far["seconds"]["observed"] == month["seconds"]["observed"] == 2_160_000.0
    assert so_far["seconds"]["downtime"] == 1800.0
    assert so_far["seconds"]["allowed"] == 2160.0  # 0.1 % of the observed 600 h
    november = year["months"][10]
    for figure in ("service", "observed", "downtime", "allowed"):
        assert november["seconds"][figure] == month["seconds"][figure]
    assert november["availability_percent"] == month["availability_percent"]
    assert "Year to date (2026, up to" in (out / "shop-2026-11.md").read_text()


@pytest.mark.parametrize(
    ("period", "says"),
    [
        (["--year", "26"], "--year '26' is not a year such as 2026 (YYYY)"),
        (["--month", "2026"], "--month '2026' is not a month such as 2026-11 (for a year: --year)"),
    ],
)
def test_a_bad_period_is_refused_in_a_line(
    workspace: Path, capsys: pytest.CaptureFixture[str], period: list[str], says: str
) -> None:
    inventory(workspace, "{timezone: Europe/Warsaw}", 99.9)
    assert main(["sla", "report", "shop", *period]) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err
    assert not (workspace / "reports").exists()


def test_a_month_and_a_year_at_once_are_refused(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory(workspace, "{timezone: Europe/Warsaw}", 99.9)
    with pytest.raises(SystemExit) as exit:
        main(["sla", "report", "shop", "--year", "2026", "--month", "2026-11"])
    assert exit.value.code == 2
    assert "not allowed with argument --year" in capsys.readouterr().err
