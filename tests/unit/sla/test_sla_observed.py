"""The SLA report vouches only for time a check result watched (issue 14, point 1).

A real monitoring history (SQLite, results recorded through ``History.record``)
whose first result comes on Fri 6 Nov 2026 00:00 Warsaw: the 1st–5th were never
watched. ``upkeep sla report`` shows them as not observed (JSON, Markdown, the
HTML chart's own colour) and measures availability over the observed part only.
A month with no result at all gets no verdict.

The hand-computed month (one outage, Tue 10 Nov 12:00–12:30 Warsaw = 1800 s):

- 24/7: 30 days = 720 h; observed 6th–30th = 25 days = 600 h = 2 160 000 s;
  not observed 5 days = 120 h = 432 000 s. Availability 1 − 1800/2 160 000 =
  1 − 1/1200 = 99.91666… % → "99.916 %". Target 99.9 %: allowed 0.1 % of 600 h =
  2160 s; met, 360 s left. (Counted over the whole month it would claim 99.930 %.)
- Mon–Fri 09:00–17:00 with Polish holidays: 21 weekdays less Wed 11 Nov = 20 days =
  160 h; not observed Mon 2–Thu 5 Nov = 32 h = 115 200 s (Sun 1 Nov has no hours);
  observed 128 h = 460 800 s. Availability 1 − 1800/460 800 = 1 − 1/256 =
  99.609375 % → "99.609 %". Target 99.5 %: allowed 0.5 % of 128 h = 2304 s; met.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from upkeep.cli.main import main
from upkeep.monitor.history import History
from upkeep.monitor.result import CheckResult, Status

WARSAW = ZoneInfo("Europe/Warsaw")
ALWAYS = "{timezone: Europe/Warsaw}"
BUSINESS = '{timezone: Europe/Warsaw, hours: {mon-fri: "09:00-17:00"}, holidays: PL}'

INVENTORY = """\
project: shop
app: {{kind: generic, repository: /srv/git/shop}}
php: {{line: "8.2"}}
database: {{name: shop, user: shop, password: {{secret: shop_db}}, dump_user: shop_dump,
            dump_password: {{secret: shop_dump}}}}
sla:
  target: {target}
  calendar: {calendar}
  priorities:
    P1: {{response: 30m, resolution: 4h}}
environments:
  production:
    domain: www.shop.test
    tls: manual
    hosts: [{{name: shop-production, address: 127.0.0.1}}]
"""

DOWN = [dt.datetime(2026, 11, 10, 12, minute, tzinfo=WARSAW) for minute in (0, 10, 20)]


def health(at: dt.datetime) -> CheckResult:
    """The health check's result at ``at``: down during the outage, up otherwise."""
    if at in DOWN:
        return CheckResult(
            "shop",
            "production",
            "health",
            Status.CRITICAL,
            "no response: connection refused",
            at,
            kind="http",
        )
    return CheckResult("shop", "production", "health", Status.OK, "200 in 40 ms", at, kind="http")


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """A health result every 10 minutes from Fri 6 Nov 00:00 Warsaw to the month's end."""
    path = tmp_path / "monitor.db"
    first, end = dt.datetime(2026, 11, 6, tzinfo=WARSAW), dt.datetime(2026, 12, 1, tzinfo=WARSAW)
    moments = [
        first + dt.timedelta(minutes=10 * n)
        for n in range((end - first) // dt.timedelta(minutes=10))
    ]
    with History(path) as kept:
        changes = kept.record([health(at) for at in moments])
    assert [(c.change.value, c.incident.opened, c.incident.resolved) for c in changes] == [
        ("opened", DOWN[0], None),
        ("resolved", DOWN[0], DOWN[0] + dt.timedelta(minutes=30)),
    ]
    return path


def inventory(workspace: Path, calendar: str, target: float) -> None:
    text = INVENTORY.format(calendar=calendar, target=target)
    (workspace / "inventories" / "shop.yml").write_text(text)


def report(
    capsys: pytest.CaptureFixture[str], out: Path, month: str, *extra: str
) -> dict[str, str]:
    """``upkeep sla report``'s three files for ``month``, by format; exit 0 and no stderr."""
    capsys.readouterr()
    code = main(["sla", "report", "shop", "--month", month, "--output", str(out), *extra])
    assert (code, capsys.readouterr().err) == (0, "")
    return {fmt: (out / f"shop-{month}.{fmt}").read_text() for fmt in ("json", "md", "html")}


def chart_days(html: str, state: str) -> list[int]:
    """The day numbers the HTML chart draws in ``state`` (a <g class="day STATE"> each)."""
    found = re.findall(r'<g class="day ([a-z]+)">.*?text-anchor="middle">(\d+)</text>', html, re.S)
    return [int(day) for kind, day in found if kind == state]


def _seconds(report: dict[str, Any]) -> dict[str, float]:
    return {
        k: report["seconds"][k]
        for k in ("service", "observed", "unobserved", "downtime", "allowed", "remaining")
    }


def test_a_month_watched_from_the_6th_is_measured_over_the_watched_part_24_7(
    workspace: Path, history: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory(workspace, ALWAYS, 99.9)
    files = report(capsys, tmp_path / "out", "2026-11", "--history", str(history))
    data = json.loads(files["json"])
    assert _seconds(data) == {
        "service": 2_592_000.0,  # 720 h
        "observed": 2_160_000.0,  # 600 h: the 6th to the 30th
        "unobserved": 432_000.0,  # 120 h: the 1st to the 5th
        "downtime": 1800.0,
        "allowed": 2160.0,  # 0.1 % of the observed 600 h
        "remaining": 360.0,
    }
    assert data["availability_percent"] == pytest.approx(99.91666666666667, abs=1e-12)
    assert data["verdict"] == "met"
    days = {day["date"]: day for day in data["days"]}
    for number in range(1, 6):
        day = days[f"2026-11-{number:02d}"]
        assert (day["state"], day["unobserved_seconds"], day["observed_seconds"]) == (
            "unobserved",
            86400.0,
            0.0,
        )
        assert day["availability_percent"] is None  # not "100 %": nobody looked
    assert days["2026-11-06"]["observed_seconds"] == 86400.0
    assert days["2026-11-10"]["availability_percent"] == pytest.approx(100 * (1 - 1800 / 86400))

    md = files["md"]
    assert "**Target met.** Availability 99.916 % against a target of 99.9 %" in md
    assert "| Service time observed | 600 h |" in md
    assert "| Service time not observed | 120 h |" in md
    assert "Not observed: 120 h of service time (Sun 2026-11-01 – Thu 2026-11-05)" in md
    assert "## How this is counted" in md
    assert "for at most 20 min this month" in md  # twice the results' 10-minute spacing

    html = files["html"]
    assert chart_days(html, "unobserved") == [1, 2, 3, 4, 5]
    assert chart_days(html, "open") == list(range(6, 31))
    assert "svg .unobserved-part, svg .unobserved rect { fill: #b9c0ca; }" in html  # its colour
    assert '<span class="unobserved"></span>not observed' in html  # and in the legend
    assert "99.916 %" in html and "120 h" in html


def test_a_month_watched_from_the_6th_is_measured_over_the_watched_part_business_hours(
    workspace: Path, history: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory(workspace, BUSINESS, 99.5)
    files = report(capsys, tmp_path / "out", "2026-11", "--history", str(history))
    data = json.loads(files["json"])
    assert _seconds(data) == {
        "service": 576_000.0,  # 160 h
        "observed": 460_800.0,  # 128 h
        "unobserved": 115_200.0,  # 32 h: Mon 2 – Thu 5 Nov, 8 h each
        "downtime": 1800.0,
        "allowed": 2304.0,  # 0.5 % of 128 h
        "remaining": 504.0,
    }
    assert data["availability_percent"] == 99.609375
    assert data["verdict"] == "met"
    assert "**Target met.** Availability 99.609 % against a target of 99.5 %" in files["md"]
    assert "| Service time not observed | 32 h |" in files["md"]
    assert "(Mon 2026-11-02 – Thu 2026-11-05)" in files["md"]
    html = files["html"]
    assert chart_days(html, "unobserved") == [2, 3, 4, 5]
    assert chart_days(html, "closed")[:3] == [1, 7, 8]  # a Sunday stays a day without hours


def test_a_month_with_no_result_gets_no_verdict(
    workspace: Path, history: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory(workspace, ALWAYS, 99.9)
    files = report(capsys, tmp_path / "out", "2026-10", "--history", str(history))
    data = json.loads(files["json"])
    assert data["verdict"] == "not observed"
    assert data["availability_percent"] is None
    assert data["seconds"]["observed"] == 0.0
    # 31 × 24 h and the hour the clocks go back: 745 h
    assert data["seconds"]["unobserved"] == 2_682_000.0
    for text in (files["md"], files["html"]):
        assert "Target met" not in text and "100.000" not in text
        assert "Not observed: no check result watched this month, so no verdict." in text
    assert chart_days(files["html"], "unobserved") == list(range(1, 32))


def test_without_any_history_the_month_is_not_observed(
    workspace: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("UPKEEP_STATE_DIR", str(tmp_path / "state"))  # no monitor.db there
    inventory(workspace, BUSINESS, 99.5)
    files = report(capsys, tmp_path / "out", "2026-11")
    data = json.loads(files["json"])
    assert (data["verdict"], data["availability_percent"]) == ("not observed", None)
    assert data["seconds"]["unobserved"] == 576_000.0
    assert "Target met" not in files["md"]


def test_checks_every_30_minutes_watch_the_whole_month(
    workspace: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`upkeep schedule --check-every 30m`: each result vouches for up to an hour (twice the
    spacing), so a month checked every half hour is all observed, not half of it."""
    path = tmp_path / "monitor.db"
    first = dt.datetime(2026, 11, 1, tzinfo=WARSAW)
    with History(path) as kept:
        kept.record([health(first + dt.timedelta(minutes=30 * n)) for n in range(30 * 48)])
    inventory(workspace, ALWAYS, 99.9)
    data = json.loads(report(capsys, tmp_path / "out", "2026-11", "--history", str(path))["json"])
    assert (data["seconds"]["observed"], data["seconds"]["unobserved"]) == (2_592_000.0, 0.0)
    assert data["observation"] == {"max_gap_seconds": 3600.0}
    assert (data["availability_percent"], data["verdict"]) == (100.0, "met")
