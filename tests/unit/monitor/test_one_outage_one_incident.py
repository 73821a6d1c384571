"""One outage is one incident (issue 14, point 2).

nginx stops on production: services CRITICAL ("nginx inactive"), and because the
site no longer answers, health, the certificate, the PHP build page and the error
page (curl on the host: "curl: (7) Failed to connect ...") fail in the same run.
The results come from upkeep's own judges (upkeep.monitor.evaluate) and go into a
real SQLite history through ``History.record``, as ``upkeep check`` records them,
with the priorities ``upkeep check`` gives (each check's declared one as a cap).
``upkeep incident list`` and ``upkeep sla report`` then read that history.

Runs at 10:00 and 10:05 (down), 10:10 and 10:15 (up) on Fri 20 Nov 2026, UTC,
24/7: one incident, services P1, opened 10:00, resolved at the first OK of the two
that close it, 10:10: 600 s of downtime, counted once.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from tests.unit import shop
from upkeep.cli.main import main
from upkeep.inventory.checks import (
    DatabaseCheck,
    DiskCheck,
    ErrorPageCheck,
    HttpCheck,
    LogsCheck,
    PhpBuildCheck,
    ServicesCheck,
    TlsCheck,
    default_checks,
)
from upkeep.inventory.conditions import Response
from upkeep.monitor.evaluate import (
    DiskSpace,
    Run,
    could_not_check,
    evaluate_database,
    evaluate_disk,
    evaluate_error_page,
    evaluate_http,
    evaluate_logs,
    evaluate_php_build,
    evaluate_services,
    evaluate_tls,
)
from upkeep.monitor.history import History
from upkeep.monitor.incidents import IncidentPolicy
from upkeep.monitor.result import CheckResult
from upkeep.monitor.workflow import priority_rule

INVENTORY = shop.WITH_SLA

CHECKS = {c.name: c for c in default_checks(health_path="/health.php", php_line="8.2")}
PIN = "8.2.36-1~deb12u1"
HOST = "shop-production"
CURL = "curl: (7) Failed to connect to 127.0.0.1 port 443 after 0 ms: Couldn't connect to server"
REFUSED = Response(error="connection refused")
GOOD_UNITS = {"nginx": "active", "php8.2-fpm": "active", "mariadb": "active"}
# `upkeep check`'s thresholds (two in a row) and priorities (capped by each check's own).
POLICY = IncidentPolicy(
    priority=priority_rule({("production", c.name): str(c.priority) for c in CHECKS.values()})
)


def at(minute: int) -> dt.datetime:
    return dt.datetime(2026, 11, 20, 10, minute, tzinfo=dt.UTC)


def check(name: str, kind: type[Any]) -> Any:
    found = CHECKS[name]
    assert isinstance(found, kind)
    return found


def nginx_stopped(minute: int) -> list[CheckResult]:
    """One run of production's checks with nginx stopped: the site does not answer."""
    run = Run("shop", "production", at=at(minute))
    return [
        evaluate_http(check("health", HttpCheck), REFUSED, run),
        evaluate_tls(check("certificate", TlsCheck), None, run, error="connection refused"),
        evaluate_php_build(check("php_build", PhpBuildCheck), REFUSED, run, pin=PIN),
        evaluate_services(
            check("services", ServicesCheck), {HOST: {**GOOD_UNITS, "nginx": "inactive"}}, run
        ),
        evaluate_disk(check("disk", DiskCheck), {HOST: DiskSpace(60 * 2**30, 100 * 2**30)}, run),
        evaluate_database(check("database", DatabaseCheck), True, run),
        evaluate_logs(check("logs", LogsCheck), [], run),
        evaluate_error_page(check("error_page", ErrorPageCheck), Response(error=CURL), run),
    ]


def all_well(minute: int) -> list[CheckResult]:
    """One run with everything answering as it should."""
    run = Run("shop", "production", at=at(minute))
    health = Response(status=200, body='{"status": "ok", "php_version": "8.2.36"}')
    page = Response(status=503, body='<html><div class="code">503</div></html>')
    return [
        evaluate_http(check("health", HttpCheck), health, run),
        evaluate_tls(check("certificate", TlsCheck), at(0) + dt.timedelta(days=80), run),
        evaluate_php_build(check("php_build", PhpBuildCheck), health, run, pin=PIN),
        evaluate_services(check("services", ServicesCheck), {HOST: GOOD_UNITS}, run),
        evaluate_disk(check("disk", DiskCheck), {HOST: DiskSpace(60 * 2**30, 100 * 2**30)}, run),
        evaluate_database(check("database", DatabaseCheck), True, run),
        evaluate_logs(check("logs", LogsCheck), [], run),
        evaluate_error_page(check("error_page", ErrorPageCheck), page, run),
    ]


@pytest.fixture
def repo(workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("UPKEEP_STATE_DIR", str(tmp_path / "state"))
    (workspace / "inventories" / "shop.yml").write_text(INVENTORY)
    return workspace


def record(path: Path, *runs: list[CheckResult]) -> list[tuple[str, str, str]]:
    """Record each run as one `upkeep check` would; the (change, check, priority) it caused."""
    changes = []
    with History(path) as history:
        for results in runs:
            for t in history.record(results, policy=POLICY):
                changes.append((t.change.value, t.incident.check, t.incident.priority.value))
    return changes


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    assert (code, captured.err) == (0, "")
    return captured.out


def test_nginx_stopped_opens_one_incident_with_the_others_under_it(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Each of these checks does fail (without the rule they opened five incidents).
    failing = {r.check: (r.status.name, r.summary) for r in nginx_stopped(0) if r.status.is_problem}
    assert failing == {
        "health": ("CRITICAL", "no response: connection refused"),
        "certificate": ("UNKNOWN", "could not check: connection refused"),
        "php_build": ("UNKNOWN", "could not check: no response: connection refused"),
        "services": ("CRITICAL", "nginx inactive"),
        "error_page": ("UNKNOWN", f"could not check: no response: {CURL}"),
    }
    history = tmp_path / "h.db"
    assert record(history, nginx_stopped(0), nginx_stopped(5)) == [("opened", "services", "P1")]

    listing = json.loads(
        cli(capsys, "incident", "list", "shop", "--history", str(history), "--json")
    )["data"]
    assert len(listing) == 1
    incident = listing[0]
    assert (incident["check"], incident["priority"], incident["summary"]) == (
        "services",
        "P1",
        "nginx inactive",
    )
    assert [(c["check"], c["worst"]) for c in incident["consequences"]] == [
        ("health", "CRITICAL"),
        ("certificate", "UNKNOWN"),
        ("php_build", "UNKNOWN"),
        ("error_page", "UNKNOWN"),
    ]
    assert {c["first"] for c in incident["consequences"]} == {at(0).isoformat()}
    assert {c["last"] for c in incident["consequences"]} == {at(5).isoformat()}

    text = cli(capsys, "incident", "list", "shop", "--history", str(history))
    lines = text.splitlines()
    assert len([line for line in lines if line.startswith("#")]) == 1  # one incident
    assert lines[2].split()[:4] == ["#1", "production", "services", "P1"]
    assert [line.split()[1] for line in lines[3:]] == [
        "health",
        "certificate",
        "php_build",
        "error_page",
    ]
    assert all(line.lstrip().startswith("└") for line in lines[3:])  # shown under it
    assert "curl" not in text  # the error page says what is wrong in words
    assert "the error page could not be fetched on the host" in text


def test_the_sla_counts_the_outage_once(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history = tmp_path / "h.db"
    changes = record(history, nginx_stopped(0), nginx_stopped(5), all_well(10), all_well(15))
    assert changes == [("opened", "services", "P1"), ("resolved", "services", "P1")]
    out = tmp_path / "reports"
    month = ["--month", "2026-11", "--history", str(history), "--output", str(out)]
    cli(capsys, "sla", "report", "shop", *month)
    report = json.loads((out / "shop-2026-11.json").read_text())
    assert len(report["incidents"]) == 1
    incident = report["incidents"][0]
    assert (incident["check"], incident["priority"]) == ("services", "P1")
    assert incident["downtime_seconds"] == 600.0  # 10:00 to 10:10
    assert report["seconds"]["downtime"] == 600.0  # counted once, not once per failing check
    # Observed: the results of 10:00 to 10:15, the last one watching 15 min more.
    assert report["seconds"]["observed"] == 1800.0
    assert [line.split(":")[0] for line in incident["consequences"]] == [
        "health CRITICAL",
        "certificate UNKNOWN",
        "php_build UNKNOWN",
        "error_page UNKNOWN",
    ]
    md = (out / "shop-2026-11.md").read_text()
    assert "services (production): nginx inactive; also failing because of it: health" in md
    assert "curl" not in md
    html = (out / "shop-2026-11.html").read_text()
    assert '<ul class="consequences"><li>health CRITICAL: the site does not answer' in html


def test_a_site_that_does_not_answer_is_named_in_words_with_the_tools_output_in_details(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The whole host down: the site does not answer and SSH cannot read the host either."""

    def host_down(minute: int) -> list[CheckResult]:
        run = Run("shop", "production", at=at(minute))
        ssh = f"{HOST} cannot be reached over SSH (Connection refused)"
        return [
            evaluate_http(check("health", HttpCheck), REFUSED, run),
            evaluate_tls(check("certificate", TlsCheck), None, run, error="connection refused"),
            evaluate_php_build(check("php_build", PhpBuildCheck), REFUSED, run, pin=PIN),
            *(
                could_not_check(CHECKS[name], ssh, run)
                for name in ("services", "disk", "database", "logs", "error_page")
            ),
        ]

    history = tmp_path / "h.db"
    assert record(history, host_down(0), host_down(5)) == [("opened", "health", "P1")]
    [incident] = json.loads(
        cli(capsys, "incident", "list", "shop", "--history", str(history), "--json")
    )["data"]
    assert incident["summary"] == "the site does not answer on /health.php"
    assert incident["details"] == ["no response: connection refused"]
    assert [c["check"] for c in incident["consequences"]] == [
        "certificate",
        "php_build",
        "services",
        "disk",
        "database",
        "logs",
        "error_page",
    ]


def test_a_failure_of_its_own_keeps_its_own_incident(tmp_path: Path) -> None:
    """The error page failing while the site answers is not anybody's consequence; its curl
    output goes to the incident's details, its title says what is wrong in words."""

    def page_broken(minute: int) -> list[CheckResult]:
        run = Run("shop", "production", at=at(minute))
        broken = evaluate_error_page(check("error_page", ErrorPageCheck), Response(error=CURL), run)
        return [*(r for r in all_well(minute) if r.check != "error_page"), broken]

    history = tmp_path / "h.db"
    assert record(history, page_broken(0), page_broken(5)) == [("opened", "error_page", "P4")]
    with History(history) as kept:
        [incident] = kept.open_incidents()
    assert incident.summary == "the error page could not be fetched on the host"
    assert incident.details == (f"could not check: no response: {CURL}",)


def test_a_full_disk_during_the_outage_is_not_its_consequence(tmp_path: Path) -> None:
    def disk_full(minute: int) -> list[CheckResult]:
        run = Run("shop", "production", at=at(minute))
        full = evaluate_disk(check("disk", DiskCheck), {HOST: DiskSpace(2**30, 100 * 2**30)}, run)
        return [full if r.check == "disk" else r for r in nginx_stopped(minute)]

    history = tmp_path / "h.db"
    assert record(history, disk_full(0), disk_full(5)) == [
        ("opened", "services", "P1"),
        ("opened", "disk", "P2"),
    ]
