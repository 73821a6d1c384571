"""Judging facts against checks: each kind's statuses, summaries, metrics and availability."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from upkeep.inventory.checks import (
    CHECKS,
    DatabaseCheck,
    DiskCheck,
    ErrorPageCheck,
    HttpCheck,
    LogsCheck,
    PhpBuildCheck,
    ServicesCheck,
    TlsCheck,
)
from upkeep.inventory.conditions import Response, parse
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
    one_line,
    worst_status,
)
from upkeep.monitor.logscan import Cursor, scan
from upkeep.monitor.result import Status

AT = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
RUN = Run("demo", "production", at=AT, seconds=0.3)


def one(entry: dict) -> object:
    return CHECKS.validate_python([entry])[0]


# ---- common ----------------------------------------------------------------------


def test_a_result_carries_the_run_and_the_check() -> None:
    check = DatabaseCheck(name="db")
    result = evaluate_database(check, True, RUN)
    assert (result.project, result.environment, result.check, result.kind) == (
        "demo",
        "production",
        "db",
        "database",
    )
    assert (result.at, result.seconds, result.status) == (AT, 0.3, Status.OK)
    assert result.key == ("demo", "production", "db")


def test_could_not_check_is_unknown() -> None:
    result = could_not_check(DiskCheck(name="disk"), "ssh: connection refused", RUN)
    assert (result.status, result.summary) == (
        Status.UNKNOWN,
        "could not check: ssh: connection refused",
    )


def test_one_line() -> None:
    assert one_line("a\n  b\tc") == "a b c"
    assert one_line("x" * 300) == "x" * 199 + "…"
    assert one_line("token=s3cr3t failed") == "token=*** failed"


@pytest.mark.parametrize(
    ("statuses", "worst"),
    [
        ([], Status.OK),
        ([Status.OK, Status.OK], Status.OK),
        ([Status.OK, Status.UNKNOWN], Status.UNKNOWN),
        ([Status.UNKNOWN, Status.WARNING], Status.WARNING),
        ([Status.WARNING, Status.CRITICAL, Status.UNKNOWN], Status.CRITICAL),
    ],
)
def test_worst_status_ranks_like_max_state_alt(statuses: list[Status], worst: Status) -> None:
    assert worst_status(statuses) is worst


# ---- http ------------------------------------------------------------------------


def http_check(*conditions: str) -> HttpCheck:
    return HttpCheck(name="home", path="/", conditions=tuple(parse(c) for c in conditions))


def test_http_passes() -> None:
    check = http_check("[STATUS] == 200", "[BODY] == pat(*shop*)")
    result = evaluate_http(
        check, Response(status=200, body=b"<h1>Demo shop</h1>", response_time_ms=41.6), RUN
    )
    assert (result.status, result.summary) == (Status.OK, "200 in 42 ms, 2 conditions met")
    assert result.metrics["time"].value == pytest.approx(0.0416)
    assert result.metrics["time"].unit == "s"
    assert result.affects_availability


def test_http_names_the_first_failure_and_lists_all() -> None:
    check = http_check("[STATUS] == 200", "[BODY].status == ok", "[RESPONSE_TIME] < 800")
    result = evaluate_http(check, Response(status=503, body=b"{}", response_time_ms=120), RUN)
    assert result.status is Status.CRITICAL
    assert result.summary == "[STATUS] == 200 (got 503) (and 1 more)"
    assert result.details == (
        "[STATUS] == 200 (got 503)",
        "[BODY].status == ok (got no key 'status' in the body)",
    )


def test_http_without_a_response() -> None:
    result = evaluate_http(
        http_check("[STATUS] == 200"), Response(error="timed out after 10s"), RUN
    )
    assert (result.status, result.summary) == (Status.CRITICAL, "no response: timed out after 10s")
    assert "time" not in result.metrics


# ---- tls -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "status", "phrase"),
    [
        (90, Status.OK, "expires in 90d 0h, on 2027-02-21"),
        (30.5, Status.OK, "expires in 30d 12h, on 2026-12-23"),
        (30, Status.OK, "renewal overdue (notice at 30 days)"),
        (14.5, Status.OK, "renewal overdue"),
        (14, Status.WARNING, "(warning at 14 days)"),
        (7.5, Status.WARNING, "(warning at 14 days)"),
        (7, Status.CRITICAL, "(critical at 7 days)"),
        (0.5, Status.CRITICAL, "expires in 12h 0m"),
    ],
)
def test_tls_tiers(days: float, status: Status, phrase: str) -> None:
    result = evaluate_tls(TlsCheck(name="certificate"), AT + dt.timedelta(days=days), RUN)
    assert result.status is status
    assert phrase in result.summary
    assert not result.affects_availability  # a warning about the future is not downtime
    metric = result.metrics["days_left"]
    assert (metric.value, metric.warn, metric.crit, metric.lower_is_worse) == (
        pytest.approx(days),
        14,
        7,
        True,
    )


def test_an_expired_certificate_is_downtime() -> None:
    result = evaluate_tls(TlsCheck(name="certificate"), AT - dt.timedelta(hours=30), RUN)
    assert result.status is Status.CRITICAL
    assert result.summary == "expired 1d 6h ago, on 2026-11-22: browsers refuse the site"
    assert result.affects_availability


def test_tls_custom_tiers_and_no_notice() -> None:
    check = one(
        {"name": "c", "kind": "tls", "tiers": {"notice": None, "warning": 21, "critical": 3}}
    )
    assert isinstance(check, TlsCheck)
    assert evaluate_tls(check, AT + dt.timedelta(days=25), RUN).summary == (
        "expires in 25d 0h, on 2026-12-18"
    )
    assert evaluate_tls(check, AT + dt.timedelta(days=20), RUN).status is Status.WARNING
    assert evaluate_tls(check, AT + dt.timedelta(days=4), RUN).status is Status.WARNING
    assert evaluate_tls(check, AT + dt.timedelta(days=3), RUN).status is Status.CRITICAL


def test_tls_without_a_certificate_is_unknown() -> None:
    result = evaluate_tls(TlsCheck(name="c"), None, RUN, error="handshake failed")
    assert (result.status, result.summary) == (Status.UNKNOWN, "could not check: handshake failed")


@given(st.floats(min_value=-400, max_value=400, allow_nan=False))
def test_tls_status_only_worsens_as_expiry_nears(days: float) -> None:
    check = TlsCheck(name="c")
    nearer = evaluate_tls(check, AT + dt.timedelta(days=days), RUN).status
    farther = evaluate_tls(check, AT + dt.timedelta(days=days + 1), RUN).status
    assert nearer >= farther


# ---- services -------------------------------------------------------------------------


def services() -> ServicesCheck:
    return ServicesCheck(name="services", units=("nginx", "php8.2-fpm", "mariadb"))


def test_services_all_active() -> None:
    states = {"web": {"nginx": "active", "php8.2-fpm": "reloading", "mariadb": "active"}}
    result = evaluate_services(services(), states, RUN)
    assert (result.status, result.summary) == (Status.OK, "nginx, php8.2-fpm, mariadb active")


def test_services_problems_by_state() -> None:
    states = {"web": {"nginx": "activating", "php8.2-fpm": "failed"}}
    result = evaluate_services(services(), states, RUN)
    assert result.status is Status.CRITICAL
    assert result.summary == "nginx activating, php8.2-fpm failed, mariadb not installed"
    assert result.details == ("nginx activating", "php8.2-fpm failed", "mariadb not installed")
    only_starting = {"web": {"nginx": "activating", "php8.2-fpm": "active", "mariadb": "active"}}
    assert evaluate_services(services(), only_starting, RUN).status is Status.WARNING


def test_services_on_several_hosts_name_the_host() -> None:
    good = {"nginx": "active", "php8.2-fpm": "active", "mariadb": "active"}
    states = {"web-1": good, "web-2": {**good, "mariadb": "inactive"}}
    result = evaluate_services(services(), states, RUN)
    assert (result.status, result.summary) == (Status.CRITICAL, "mariadb inactive on web-2")
    ok = evaluate_services(services(), {"web-1": good, "web-2": good}, RUN)
    assert ok.summary == "nginx, php8.2-fpm, mariadb active on 2 hosts"


def test_services_without_facts_is_unknown() -> None:
    assert evaluate_services(services(), {}, RUN).status is Status.UNKNOWN


# ---- disk ------------------------------------------------------------------------------

GIB = 2**30


@pytest.mark.parametrize(
    ("free", "status"),
    [
        (40, Status.OK),
        (10, Status.OK),
        (9.99, Status.WARNING),
        (5, Status.WARNING),
        (4.9, Status.CRITICAL),
        (0, Status.CRITICAL),
    ],
)
def test_disk_tiers(free: float, status: Status) -> None:
    result = evaluate_disk(
        DiskCheck(name="disk"), {"web": DiskSpace(int(free * GIB), 100 * GIB)}, RUN
    )
    assert result.status is status
    metric = result.metrics["free"]
    assert (metric.value, metric.unit, metric.warn, metric.crit) == (
        pytest.approx(free, abs=0.01),
        "%",
        10,
        5,
    )
    assert (metric.minimum, metric.maximum, metric.lower_is_worse) == (0, 100, True)
    assert result.metrics["free_bytes"].maximum == 100 * GIB
    assert not result.affects_availability


def test_disk_summary() -> None:
    result = evaluate_disk(DiskCheck(name="disk"), {"web": DiskSpace(4 * GIB, 40 * GIB)}, RUN)
    assert result.summary == "10.0 % free on / (4.0 GiB of 40.0 GiB)"


def test_disk_several_hosts_show_the_worst() -> None:
    space = {"web-1": DiskSpace(50 * GIB, 100 * GIB), "web-2": DiskSpace(3 * GIB, 100 * GIB)}
    result = evaluate_disk(DiskCheck(name="disk"), space, RUN)
    assert result.status is Status.CRITICAL
    assert result.summary == "web-2: 3.0 % free on / (3.0 GiB of 100.0 GiB)"
    assert set(result.metrics) == {
        "web-1 free",
        "web-1 free_bytes",
        "web-2 free",
        "web-2 free_bytes",
    }
    assert len(result.details) == 2


def test_disk_nonsense_figures_are_unknown() -> None:
    result = evaluate_disk(DiskCheck(name="disk"), {"web": DiskSpace(5, 0)}, RUN)
    assert result.status is Status.UNKNOWN


# ---- php_build --------------------------------------------------------------------------


def health(version: object, status: int = 200) -> Response:
    import json

    return Response(status=status, body=json.dumps({"status": "ok", "php_version": version}))


@pytest.mark.parametrize(
    ("served", "pin", "status"),
    [
        ("8.2.36", "8.2.36-1~deb12u1", Status.OK),
        ("8.2.36-1~deb12u1", "8.2.36-1~deb12u1", Status.OK),
        ("8.2.36-1~deb12u2", "8.2.36-1~deb12u1", Status.WARNING),
        ("8.2.32", "8.2.36-1~deb12u1", Status.WARNING),
        ("8.3.1", "8.2.36-1~deb12u1", Status.WARNING),
    ],
)
def test_php_build_against_the_pin(served: str, pin: str, status: Status) -> None:
    check = PhpBuildCheck(name="php_build", path="/health.php")
    result = evaluate_php_build(check, health(served), RUN, pin=pin)
    assert result.status is status
    assert served in result.summary and pin in result.summary
    assert not result.affects_availability


def test_php_build_expected_overrides_the_pin_and_field_is_a_path() -> None:
    check = one({"name": "p", "kind": "php_build", "field": "runtime.php", "expected": "8.2.36"})
    assert isinstance(check, PhpBuildCheck)
    response = Response(status=200, body=b'{"runtime": {"php": "8.2.36"}}')
    assert evaluate_php_build(check, response, RUN, pin="8.2.32-1").status is Status.OK


@pytest.mark.parametrize(
    ("response", "pin", "reason"),
    [
        (health("8.2.36"), None, "no pin for this environment"),
        (Response(error="refused"), "8.2.36-1", "no response: refused"),
        (
            Response(status=503, body=b"<html>down</html>"),
            "8.2.36-1",
            "the page (503) gave no version: the body is not JSON",
        ),
        (Response(status=200, body=b"{}"), "8.2.36-1", "no key 'php_version'"),
        (health(["8"]), "8.2.36-1", "php_version is not text"),
        (health("eight"), "8.2.36-1", "'eight' is not a PHP package version"),
    ],
)
def test_php_build_unknowns(response: Response, pin: str | None, reason: str) -> None:
    result = evaluate_php_build(PhpBuildCheck(name="p", path="/h"), response, RUN, pin=pin)
    assert result.status is Status.UNKNOWN
    assert reason in result.summary


# ---- database ----------------------------------------------------------------------------


def test_database() -> None:
    check = DatabaseCheck(name="database")
    assert evaluate_database(check, True, RUN).summary == "the site user connects"
    down = evaluate_database(
        check, False, RUN, error="SQLSTATE[HY000] [1045] Access denied (password=abc)\nmore"
    )
    assert down.status is Status.CRITICAL and down.affects_availability
    assert down.summary == (
        "the site user cannot connect: SQLSTATE[HY000] [1045] Access denied (password=***) more"
    )


# ---- logs ---------------------------------------------------------------------------------

LOG = (
    "[23-Nov-2026 10:00:00 UTC] PHP Fatal error:  Uncaught Exception: boom in /srv/x.php:12\n"
    "[23-Nov-2026 10:00:01 UTC] PHP Warning:  Undefined variable $a in /srv/y.php on line 3\n"
    "[23-Nov-2026 10:00:02 UTC] PHP Fatal error:  Uncaught Exception: boom in /srv/x.php:14\n"
    "[23-Nov-2026 10:00:03 UTC] PHP Parse error:  syntax error in /srv/z.php on line 1\n"
    "2026/11/23 10:00:04 [crit] 1#1: *1 connect() to unix:/run/php/x.sock failed, client: 1.2.3.4\n"
    '2026/11/23 10:00:05 [error] 1#1: *2 open() "/srv/favicon.ico" failed, client: 1.2.3.4\n'
)
ENTRIES = scan(LOG, Cursor(1, 0)).entries


def test_logs_nothing_new() -> None:
    result = evaluate_logs(LogsCheck(name="logs"), (), RUN)
    assert (result.status, result.summary) == (
        Status.OK,
        "no new fatal/parse/crit/alert/emerg entries",
    )
    assert result.metrics["entries"].value == 0


def test_logs_group_by_fingerprint_most_frequent_first() -> None:
    result = evaluate_logs(LogsCheck(name="logs"), ENTRIES, RUN)
    assert result.status is Status.WARNING
    assert result.summary == (
        "4 new entries (3 problems): fatal: Uncaught Exception: boom in /srv/x.php:12"
    )
    fatal = ENTRIES[0].fingerprint
    assert result.details[0] == f"2× fatal [{fatal}] Uncaught Exception: boom in /srv/x.php:12"
    assert result.details[1].startswith("1× parse [")
    assert result.details[2].startswith("1× crit [") and "1.2.3.4" not in result.details[2]
    assert (result.metrics["entries"].value, result.metrics["problems"].value) == (4, 3)
    assert not result.affects_availability


def test_logs_sources_levels_ignore_and_status() -> None:
    check = one(
        {
            "name": "logs",
            "kind": "logs",
            "sources": ["php"],
            "levels": ["fatal", "warning"],
            "ignore": ["Undefined variable*"],
            "status": "critical",
        }
    )
    assert isinstance(check, LogsCheck)
    result = evaluate_logs(check, ENTRIES, RUN)
    assert result.status is Status.CRITICAL
    assert result.summary.startswith("2 new entries (1 problem): fatal: Uncaught Exception")


def test_logs_details_are_capped() -> None:
    lines = "".join(
        f"[23-Nov-2026 10:00:00 UTC] PHP Fatal error:  problem {'x' * n} here\n" for n in range(14)
    )
    result = evaluate_logs(LogsCheck(name="logs"), scan(lines, Cursor(1, 0)).entries, RUN)
    assert len(result.details) == 11
    assert result.details[-1] == "… and 4 more problems"


# ---- error_page -----------------------------------------------------------------------------

BRANDED = (
    "<!doctype html><title>Something went wrong · www.demo.lab</title><main>"
    '<div class="code">www.demo.lab · 500</div><h1>Something went wrong</h1></main>'
)


@pytest.mark.parametrize(
    ("status", "body", "verdict", "phrase"),
    [
        (500, BRANDED, Status.OK, "branded page with status 500"),
        (503, BRANDED, Status.OK, "status 503"),
        (200, BRANDED, Status.WARNING, "status 200, not a 5xx"),
        (502, "<html><center>nginx</center></html>", Status.WARNING, "not the branded page"),
        (500, "", Status.CRITICAL, "status 500 with a blank page"),
        (500, " \n ", Status.CRITICAL, "blank page"),
        (
            500,
            "<br />\n<b>Fatal error</b>:  Uncaught Exception: boom in /srv/x.php:3",
            Status.CRITICAL,
            "raw PHP output",
        ),
        (
            500,
            "<br />\n<b>Warning</b>:  Undefined variable $x in <b>/srv/x.php</b> on line <b>3</b>",
            Status.CRITICAL,
            "raw PHP output",
        ),
        (200, "PHP Fatal error:  Uncaught Error", Status.CRITICAL, "'Fatal error:'"),
        (500, BRANDED + "\nStack trace:\n#0 {main}", Status.CRITICAL, "'Stack trace:'"),
    ],
)
def test_error_page(status: int, body: str, verdict: Status, phrase: str) -> None:
    result = evaluate_error_page(
        ErrorPageCheck(name="error_page"), Response(status=status, body=body), RUN
    )
    assert result.status is verdict
    assert phrase in result.summary
    assert not result.affects_availability


def test_error_page_with_its_own_marker() -> None:
    check = one({"name": "e", "kind": "error_page", "marker": "Acme Shop"})
    assert isinstance(check, ErrorPageCheck)
    page = Response(status=500, body="<h1>Acme Shop is resting</h1>")
    assert evaluate_error_page(check, page, RUN).status is Status.OK
    ours = Response(status=500, body=BRANDED)
    assert "'Acme Shop' not found" in evaluate_error_page(check, ours, RUN).summary


def test_error_page_without_a_response_is_unknown() -> None:
    result = evaluate_error_page(ErrorPageCheck(name="e"), Response(error="refused"), RUN)
    assert result.status is Status.UNKNOWN
