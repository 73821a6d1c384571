"""The SLA with checks from two locations (issue 18, item 4): downtime counts only where the
quorum agreed, and the report names the locations.

A real history (SQLite, through ``History.record``, each location's result its own
record as two runners' runs would be): "office" on the hour's tens, "ci" a minute
later, all November. On Thu 5 Nov ci alone fails for an hour (its network was
cut): no incident, no downtime. On Tue 10 Nov both fail from 12:00 (office) and
12:01 (ci) to 12:20/12:21 and see it up again at 12:30/12:31: the quorum agreed
from 12:01 (ci's failure while the office's stood) until 12:30 (the office's OK,
after which they no longer agree), so 29 min = 1740 s of downtime.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from upkeep.monitor.history import History
from upkeep.monitor.result import CheckResult, Status

from .test_sla_observed import ALWAYS, WARSAW, inventory, report

CUT = (dt.datetime(2026, 11, 5, 12, tzinfo=WARSAW), dt.datetime(2026, 11, 5, 13, tzinfo=WARSAW))
DOWN = (
    dt.datetime(2026, 11, 10, 12, tzinfo=WARSAW),
    dt.datetime(2026, 11, 10, 12, 30, tzinfo=WARSAW),
)


def health(location: str, at: dt.datetime) -> CheckResult:
    cut = location == "ci" and CUT[0] <= at < CUT[1]
    late = dt.timedelta(minutes=1 if location == "ci" else 0)  # ci runs a minute later
    if cut or DOWN[0] + late <= at < DOWN[1] + late:
        status, summary = Status.CRITICAL, "no response: connection timed out"
    else:
        status, summary = Status.OK, "200 in 40 ms"
    return CheckResult(
        "shop", "production", "health", status, summary, at, kind="http", location=location
    )


@pytest.fixture
def history(tmp_path: Path) -> Path:
    path = tmp_path / "monitor.db"
    first = dt.datetime(2026, 11, 1, tzinfo=WARSAW)
    with History(path) as kept:
        for n in range(30 * 24 * 6):
            office = first + dt.timedelta(minutes=10 * n)
            for result in (
                health("office", office),
                health("ci", office + dt.timedelta(minutes=1)),
            ):
                kept.record([result])
    return path


def test_only_agreed_downtime_counts_and_the_report_names_the_locations(
    workspace: Path, history: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory(workspace, ALWAYS, 99.9)
    files = report(capsys, tmp_path / "out", "2026-11", "--history", str(history))
    data = json.loads(files["json"])
    assert data["locations"] == ["ci", "office"]
    [incident] = data["incidents"]
    assert incident["locations"] == ["ci", "office"]
    assert incident["down_since"] == "2026-11-10T12:01:00+01:00"
    assert incident["resolved"] == "2026-11-10T12:30:00+01:00"
    assert data["seconds"]["downtime"] == 1740.0
    assert data["seconds"]["unobserved"] == 0.0
    md = files["md"]
    assert "Checked from: ci, office." in md
    assert "no response: connection timed out (seen from ci, office)" in md
    html = files["html"]
    assert "<b>Checked from:</b> ci, office." in html and "seen from ci, office" in html
