"""Monitoring end to end on the lab (issue 7's acceptance): `upkeep check` against real hosts,
its history, incidents and Nagios output, then the month's SLA report over that history.

The tests run in file order and share one history: a healthy lab first, then a
certificate five days from expiry on production, PHP-FPM stopped on staging, a PHP fatal
error provoked on dev, sshd stopped on dev, and last the SLA report.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from upkeep.cli.main import main
from upkeep.drift.workflow import drift
from upkeep.inventory import load_project
from upkeep.monitor import web
from upkeep.provision.workflow import provision
from upkeep.tls import CertificateAuthority
from upkeep.workspace import state_home

from .conftest import RunningLab, model, outside_maintenance
from .hosts import console, get, shell

BRANDED = '<div class="code">'


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("monitoring") / "monitor.db"


@pytest.fixture(scope="module")
def lab(provisioned: RunningLab) -> Iterator[RunningLab]:
    """The provisioned lab, outside the demo's maintenance windows (else results are muted
    and no incident opens)."""
    with outside_maintenance(provisioned) as unmuted:
        yield unmuted


def upkeep(lab: RunningLab, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["--root", str(lab.workspace.root), *args])
    return code, capsys.readouterr().out


def check(
    lab: RunningLab, capsys: pytest.CaptureFixture[str], history: Path, *args: str
) -> tuple[int, dict[str, Any]]:
    code, out = upkeep(lab, capsys, "check", "demo", *args, "--json", "--history", str(history))
    return code, json.loads(out)["data"]


def by_name(report: dict[str, Any], environment: str) -> dict[str, dict[str, Any]]:
    return {r["check"]: r for r in report["results"] if r["environment"] == environment}


def problems(report: dict[str, Any]) -> list[str]:
    return [
        f"{r['environment']}/{r['check']} {r['status']}: {r['summary']}"
        for r in report["results"]
        if r["status"] != "OK"
    ]


def changes(report: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [(i["change"], i["environment"], i["check"], i["priority"]) for i in report["incidents"]]


# ---- a healthy lab ------------------------------------------------------------------------


def test_provisioned_with_the_error_check_trigger_and_still_in_sync(lab: RunningLab) -> None:
    assert drift(*model(lab.workspace)).in_sync
    again = provision(
        lab.workspace, *model(lab.workspace), ["staging"]
    )  # the trigger and vhost included
    assert again.ok and [op.operation for op in again.run.ops if op.status.value == "changed"] == []
    # The trigger answers the host itself only: from here it is 403, not a server error.
    outside = get(lab, "staging", "/.upkeep/fail")
    assert outside.status == 403 and BRANDED not in outside.body


def test_a_healthy_lab_is_all_ok(
    lab: RunningLab, capsys: pytest.CaptureFixture[str], history: Path
) -> None:
    code, report = check(lab, capsys, history)
    assert problems(report) == [] and code == 0
    assert len(report["results"]) == 3 * 8
    staging = by_name(report, "staging")
    assert staging["error_page"]["summary"] == "branded page with status 500"
    assert staging["services"]["summary"] == "nginx, php8.2-fpm, mariadb active"
    assert staging["database"]["summary"] == "the site user connects"
    assert staging["php_build"]["summary"].startswith("serving 8.2.")
    assert staging["health"]["metrics"]["time"]["unit"] == "s"
    code, out = upkeep(lab, capsys, "check", "demo", "--nagios", "--history", str(history))
    first = out.splitlines()[0]
    assert code == 0
    assert first.startswith("UPKEEP OK - demo (dev, staging, production): 24 checks OK | ")
    assert "staging_health_time=" in first and "production_certificate_days_left=" in first
    assert len(out.splitlines()) == 1 + 24


# ---- a certificate with five days left on production ---------------------------------------


def _install_certificate(lab: RunningLab, environment: str, crt: bytes, key: bytes) -> None:
    domain = load_project(lab.workspace, "demo").environment(environment).domain
    base = f"/etc/ssl/upkeep/{domain}"
    crt64, key64 = base64.b64encode(crt).decode(), base64.b64encode(key).decode()
    shell(
        lab,
        environment,
        f"set -e; [ -e {base}.crt.e2e ] || cp -p {base}.crt {base}.crt.e2e; "
        f"[ -e {base}.key.e2e ] || cp -p {base}.key {base}.key.e2e; "
        f"echo {crt64} | base64 -d > {base}.crt; echo {key64} | base64 -d > {base}.key; "
        "nginx -t -q && systemctl reload nginx",
    )


def _served_expiry(lab: RunningLab, environment: str) -> dt.datetime | None:
    env = load_project(lab.workspace, "demo").environment(environment)
    return web.certificate(env.hosts[0].address, 443, env.domain).not_after


def _wait_for_certificate(lab: RunningLab, environment: str, not_after: dt.datetime) -> None:
    """nginx's reload returns before its new workers answer, and its old workers take new
    connections until they are told to stop: wait until every answer for a while is new."""
    deadline, in_a_row = time.monotonic() + 60, 0
    while in_a_row < 10:  # 10 answers over 2 s: on a loaded machine one is not enough
        assert time.monotonic() < deadline, "nginx did not serve the new certificate in 60 s"
        in_a_row = in_a_row + 1 if _served_expiry(lab, environment) == not_after else 0
        time.sleep(0.2)


def _restore_certificate(lab: RunningLab, environment: str) -> None:
    domain = load_project(lab.workspace, "demo").environment(environment).domain
    base = f"/etc/ssl/upkeep/{domain}"
    shell(
        lab,
        environment,
        f"set -e; mv {base}.crt.e2e {base}.crt; mv {base}.key.e2e {base}.key; "
        "nginx -t -q && systemctl reload nginx",
    )


def test_a_certificate_valid_five_more_days_warns_and_is_not_downtime(
    lab: RunningLab, capsys: pytest.CaptureFixture[str], history: Path
) -> None:
    issued = CertificateAuthority.load_or_create(state_home() / "lab").issue("www.demo.lab", days=5)
    before = _served_expiry(lab, "production")
    assert before is not None
    _install_certificate(lab, "production", issued.certificate_pem, issued.key_pem)
    try:
        _wait_for_certificate(lab, "production", issued.not_after)
        code, first = check(lab, capsys, history, "production")
        tls = by_name(first, "production")["certificate"]
        assert tls["status"] == "WARNING", tls
        assert tls["summary"].startswith("expires in 4d 23h")
        assert tls["summary"].endswith("(warning at 14 days)")
        assert tls["affects_availability"] is False
        assert problems(first) == [f"production/certificate WARNING: {tls['summary']}"]
        assert code == 1  # WARNING
        assert changes(first) == []  # one warning is not an incident yet (threshold 2)
        code, second = check(lab, capsys, history, "production")
        assert code == 1
        assert changes(second) == [("opened", "production", "certificate", "P3")]
        opened = second["incidents"][0]
        assert opened["down_since"] is None and opened["affects_availability"] is False
        code, out = upkeep(
            lab, capsys, "check", "demo", "production", "--nagios", "--history", str(history)
        )
        lines = out.splitlines()
        assert code == 1
        assert lines[0].startswith(
            "UPKEEP WARNING - demo production: 1 of 8 checks failing; certificate WARNING: "
            "expires in 4d 23h"
        )
        perfdata = dict(item.split("=", 1) for item in lines[0].split(" | ", 1)[1].split())
        days, warn, crit = perfdata["certificate_days_left"].split(";")
        assert 4.9 <= float(days) <= 5 and (warn, crit) == ("14:", "3:")  # floors: below alerts
        assert any(line.startswith("[WARNING] certificate: expires in 4d 23h") for line in lines)
        assert sum(line.startswith("[OK] ") for line in lines) == 7
    finally:
        _restore_certificate(lab, "production")
    _wait_for_certificate(lab, "production", before)
    code, healed = check(lab, capsys, history, "production")
    assert problems(healed) == [] and code == 0 and changes(healed) == []
    code, closed = check(lab, capsys, history, "production")
    assert changes(closed) == [("resolved", "production", "certificate", "P3")]


# ---- PHP-FPM stopped on staging ------------------------------------------------------------


def test_php_fpm_stopped_on_staging_is_critical_with_the_friendly_502_page(
    lab: RunningLab, capsys: pytest.CaptureFixture[str], history: Path
) -> None:
    shell(lab, "staging", "systemctl stop php8.2-fpm")
    try:
        code, first = check(lab, capsys, history, "staging")
        staging = by_name(first, "staging")
        assert code == 2  # CRITICAL
        assert staging["services"]["status"] == "CRITICAL"
        assert staging["services"]["summary"] == "php8.2-fpm inactive"
        assert staging["health"]["status"] == "CRITICAL"
        assert "[STATUS] == 200 (got 502)" in staging["health"]["summary"]
        assert staging["health"]["affects_availability"] is True
        # What visitors get: the branded 502 page, with its status.
        page = get(lab, "staging", "/")
        assert page.status == 502
        assert BRANDED in page.body and "We are having a technical hiccup" in page.body
        assert staging["error_page"]["status"] == "OK"  # the branded page still shows (502)
        code, second = check(lab, capsys, history, "staging")
        assert code == 2
        opened = changes(second)
        assert ("opened", "staging", "services", "P3") in opened
        # One outage, one incident: health fails because php-fpm is down, a consequence.
        assert [c for c in opened if c[2] == "health"] == []
        assert by_name(second, "staging")["health"]["cause"] == "services"
        code, out = upkeep(
            lab, capsys, "check", "demo", "staging", "--nagios", "--history", str(history)
        )
        assert code == 2
        assert out.startswith("UPKEEP CRITICAL - demo staging: ")
        assert "services CRITICAL: php8.2-fpm inactive" in out.splitlines()[0]
    finally:
        shell(lab, "staging", "systemctl start php8.2-fpm")
    check(lab, capsys, history, "staging")
    code, closed = check(lab, capsys, history, "staging")
    assert code == 0
    assert ("resolved", "staging", "services", "P3") in changes(closed)


# ---- a PHP fatal error on dev ----------------------------------------------------------------

BOOM = "/srv/www/demo-dev/current/public/boom.php"


def test_a_php_fatal_error_is_found_in_the_log_and_opens_an_incident_until_fixed(
    lab: RunningLab, capsys: pytest.CaptureFixture[str], history: Path
) -> None:
    php = '<?php\nfunction boom(): never { throw new RuntimeException("upkeep e2e boom"); }\nboom();\n'
    shell(lab, "dev", f"echo {base64.b64encode(php.encode()).decode()} | base64 -d > {BOOM}")
    try:
        for _ in range(2):
            visitor = get(lab, "dev", "/boom.php")
            assert visitor.status == 500 and BRANDED in visitor.body  # never the raw error
            assert "upkeep e2e boom" not in visitor.body
            code, report = check(lab, capsys, history, "dev")
            logs = by_name(report, "dev")["logs"]
            assert logs["status"] == "WARNING", logs
            assert "fatal: Uncaught RuntimeException: upkeep e2e boom" in logs["summary"]
            # One request, one entry: the stack trace's lines joined into it.
            assert logs["metrics"]["problems"]["value"] == 1
            assert 1 <= logs["metrics"]["entries"]["value"] <= 2
            assert code == 1
        assert changes(report) == [("opened", "dev", "logs", "P3")]
    finally:
        shell(lab, "dev", f"rm -f {BOOM}")
    assert get(lab, "dev", "/boom.php").status == 404  # fixed: the page is gone
    code, first = check(lab, capsys, history, "dev")
    assert by_name(first, "dev")["logs"]["summary"].startswith("no new ")
    code, second = check(lab, capsys, history, "dev")
    assert code == 0 and changes(second) == [("resolved", "dev", "logs", "P3")]


# ---- a host that cannot be reached -----------------------------------------------------------


def test_a_host_without_ssh_gives_unknown_for_its_checks_not_a_traceback(
    lab: RunningLab, capsys: pytest.CaptureFixture[str], history: Path
) -> None:
    console(lab, "dev", "systemctl stop ssh.socket ssh.service 2>/dev/null; systemctl stop ssh")
    try:
        code, out = upkeep(lab, capsys, "check", "demo", "dev", "--nagios", "--no-history")
    finally:
        console(lab, "dev", "systemctl start ssh")
    lines = out.splitlines()
    assert code == 3, out
    assert lines[0].startswith("UPKEEP UNKNOWN - demo dev: 5 of 8 checks failing; ")
    assert any(line.startswith("[OK] health: 200") for line in lines)  # visitors need no SSH
    for name in ("services", "disk", "database", "logs", "error_page"):
        assert any(
            line.startswith(f"[UNKNOWN] {name}: could not check: lab-dev cannot be reached")
            for line in lines
        ), out
    assert "Traceback" not in out


def test_bad_input_under_nagios_is_unknown(
    lab: RunningLab, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = upkeep(lab, capsys, "check", "demo", "qa", "--nagios")
    assert code == 3
    assert (
        out
        == "UPKEEP UNKNOWN - project demo has no environment 'qa' (it has: dev, staging, production)\n"
    )


def test_a_prometheus_textfile(
    lab: RunningLab, capsys: pytest.CaptureFixture[str], history: Path, tmp_path: Path
) -> None:
    path = tmp_path / "upkeep.prom"
    code, _ = upkeep(
        lab,
        capsys,
        "check",
        "demo",
        "staging",
        "--prometheus",
        str(path),
        "--history",
        str(history),
    )
    text = path.read_text()
    assert code in (0, 1)  # staging's logs may still hold nginx's words from the outage
    assert (
        'upkeep_check_status{project="demo",environment="staging",check="services",'
        'kind="services"} 0' in text
    )
    assert 'metric="days_left",unit=""}' in text


# ---- the month's SLA report ------------------------------------------------------------------


def test_the_months_sla_report_over_that_history(
    lab: RunningLab, capsys: pytest.CaptureFixture[str], history: Path, tmp_path: Path
) -> None:
    listed = json.loads(
        upkeep(
            lab, capsys, "incident", "list", "demo", "--all", "--json", "--history", str(history)
        )[1]
    )["data"]
    certificate = next(i for i in listed if i["check"] == "certificate")
    code, out = upkeep(
        lab, capsys, "incident", "ack", "demo", str(certificate["id"]), "--history", str(history)
    )
    assert code == 0 and f"incident #{certificate['id']}" in out
    month_text = f"{dt.datetime.now(ZoneInfo('Europe/Warsaw')):%Y-%m}"  # the SLA's calendar
    code, out = upkeep(
        lab,
        capsys,
        "sla",
        "report",
        "demo",
        "--month",
        month_text,
        "--history",
        str(history),
        "--output",
        str(tmp_path),
        "--json",
    )
    assert code == 0
    report = json.loads(out)["data"]
    assert report["format"] == "upkeep-sla/1" and report["month"] == month_text
    incidents = {i["check"]: i for i in report["incidents"]}
    assert set(incidents) == {"certificate"}  # production only: staging and dev are not SLA
    tls = incidents["certificate"]
    assert tls["affects_availability"] is False and tls["downtime_seconds"] == 0
    assert tls["priority"] == "P3" and tls["responded"] is not None and tls["resolved"]
    assert report["seconds"]["downtime"] == 0
    # Only watched service time counts: the demo's calendar is business hours, so checks run
    # on a weekend or at night watch none of it, and the month then has no verdict at all.
    watched = report["seconds"]["observed"]
    assert report["availability_percent"] == (100.0 if watched > 0 else None)
    assert report["target_percent"] == 99.9
    written = {Path(p).suffix for p in report["report_files"]}
    assert written == {".md", ".html", ".json"}
    html = (tmp_path / f"demo-{month_text}.html").read_text()
    assert "<svg" in html and "certificate" in html
