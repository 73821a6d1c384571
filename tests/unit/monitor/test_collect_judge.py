"""From what was read to results: plans from an inventory, per-host results combined, hosts
that could not be asked, log bytes and cursors, certificates browsers would refuse, and the
priority rule incidents get."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tasks.error_pages import trigger_path
from tasks.nginx import vhost_text
from upkeep.desired import SiteState
from upkeep.inventory import Project, load_file
from upkeep.inventory.checks import (
    DatabaseCheck,
    DiskCheck,
    ErrorPageCheck,
    HttpCheck,
    LogsCheck,
    ServicesCheck,
    TlsCheck,
)
from upkeep.inventory.conditions import Response, parse
from upkeep.inventory.model import Host
from upkeep.inventory.pins import Pins
from upkeep.inventory.priority import Priority
from upkeep.layout import SiteLayout
from upkeep.monitor import collect
from upkeep.monitor.collect import plan
from upkeep.monitor.evaluate import DiskSpace, Run, combine, evaluate_http
from upkeep.monitor.facts import LOG_READ_LIMIT, DatabaseProbe, LocalResponse, LogRead
from upkeep.monitor.kinds import (
    Reads,
    cursor_key,
    dump_cursor,
    judge_certificate,
    load_cursor,
    read_chunk,
)
from upkeep.monitor.logscan import Cursor
from upkeep.monitor.result import CheckResult, Status
from upkeep.monitor.web import Fetched
from upkeep.monitor.workflow import policy_for, priority_rule

AT = dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)
RUN = Run("demo", "staging", at=AT)

INVENTORY = """\
project: demo
app: {kind: generic, repository: /srv/git/demo, docroot: public, health_path: /health.php}
php: {line: "8.2"}
database: {name: demo, user: demo, password: {secret: p}, dump_user: d, dump_password: {secret: q}}
checks:
  - {name: home, kind: http, path: /, conditions: ["[STATUS] == 200"], priority: P2}
  - {name: disk, kind: disk, path: /srv, warning: 20, critical: 10}
alerts: {failure_threshold: 3, success_threshold: 1}
environments:
  staging:
    domain: staging.demo.test
    tls: lab
    checks:
      - {name: error_page, enabled: false}
    hosts:
      - {name: web1, address: 10.0.0.1}
      - {name: web2, address: 10.0.0.2}
  production:
    domain: www.demo.test
    tls: none
    hosts: [{name: web3, address: 10.0.0.3}]
"""


@pytest.fixture
def project(tmp_path: Path) -> Project:
    path = tmp_path / "demo.yml"
    path.write_text(INVENTORY)
    return load_file(path)


def test_site_paths_are_the_sites_own() -> None:
    site = SiteState.example()
    paths = SiteLayout.of(site.project, site.environment)
    assert paths.php_error_log == site.php_error_log
    assert paths.base_dir == site.base_dir and paths.env_file == f"{site.shared_dir}/.env"
    assert f"error_log {paths.nginx_error_log};" in vhost_text(site)
    assert trigger_path(site).startswith(paths.base_dir)


def test_a_plan_per_environment_with_its_effective_checks(project: Project) -> None:
    pins = Pins(project="demo").with_env("staging", php_build="8.2.32-1~deb12u1", ref="abc")
    staging, production = plan(project, pins, ["staging", "production"])
    # a replaced check moves to where the inventory writes it
    assert [c.name for c in staging.checks] == [
        "health",
        "certificate",
        "php_build",
        "services",
        "database",
        "logs",
        "home",
        "disk",
    ]
    disk = next(c for c in staging.checks if isinstance(c, DiskCheck))
    assert (disk.path, disk.warning) == ("/srv", 20)  # the project's replaces the default
    assert staging.pin == "8.2.32-1~deb12u1" and production.pin is None
    assert staging.ca_file is not None and staging.ca_file.name == "ca.crt"  # tls: lab
    assert production.ca_file is None and not production.https and production.port == 80
    assert "certificate" not in [c.name for c in production.checks]  # plain HTTP
    assert staging.url("/x") == "https://staging.demo.test/x"
    assert staging.log_files() == (
        "/var/log/php/demo-staging.error.log",
        "/var/log/php8.2-fpm.log",
        "/var/log/nginx/demo-staging.error.log",
    )


def test_the_incident_policy_takes_the_thresholds_and_caps_by_the_checks_priority(
    project: Project,
) -> None:
    plans = plan(project, Pins(project="demo"), ["staging", "production"])
    policy = policy_for(project, plans)
    assert (policy.failure_threshold, policy.success_threshold) == (3, 1)
    down = CheckResult("demo", "production", "home", Status.CRITICAL, "502", AT)
    assert policy.priority(down) is Priority.P2  # P1 by the rule, capped at the declared P2
    health = CheckResult("demo", "production", "health", Status.CRITICAL, "502", AT)
    assert policy.priority(health) is Priority.P1
    page = CheckResult("demo", "production", "error_page", Status.CRITICAL, "raw", AT)
    assert policy.priority(page) is Priority.P4
    slow = CheckResult("demo", "staging", "home", Status.CRITICAL, "502", AT)
    assert policy.priority(slow) is Priority.P3  # the rule is less urgent: it stays
    assert priority_rule({})(CheckResult("demo", "staging", "x", Status.OK, "", AT)) is None


# ---- combining hosts -------------------------------------------------------------------

HTTP = HttpCheck(name="health", path="/health.php", conditions=(parse("[STATUS] == 200"),))


def _http(status: int, ms: float = 40) -> CheckResult:
    return evaluate_http(HTTP, Response(status=status, response_time_ms=ms), RUN)


def test_one_host_is_its_own_result() -> None:
    only = _http(200)
    assert combine(HTTP, RUN, [("web1", only)]) is only


def test_the_worst_host_decides_and_each_is_named() -> None:
    result = combine(HTTP, RUN, [("web1", _http(200)), ("web2", _http(502))])
    assert result.status is Status.CRITICAL
    assert result.summary == "web2: [STATUS] == 200 (got 502)"
    assert result.details[:2] == ("web1: 200 in 40 ms, 1 condition met", result.summary)
    assert set(result.metrics) == {"web1 time", "web2 time"}
    assert result.affects_availability


def test_all_hosts_ok_is_said_once() -> None:
    result = combine(HTTP, RUN, [("web1", _http(200)), ("web2", _http(200, 12))])
    assert (result.status, result.summary) == (
        Status.OK,
        "200 in 40 ms, 1 condition met (on all 2 hosts)",
    )


# ---- host checks from what the hosts said -------------------------------------------------


def _env(**changes: object) -> collect.EnvPlan:
    values: dict[str, object] = dict(
        project="demo",
        environment="staging",
        domain="staging.demo.test",
        https=True,
        hosts=(Host(name="web1", address="10.0.0.1"), Host(name="web2", address="10.0.0.2")),
        checks=(),
        pin="8.2.32-1~deb12u1",
        php_line="8.2",
        paths=SiteLayout.of("demo", "staging"),
        ca_file=None,
    )
    values.update(changes)
    return collect.EnvPlan(**values)  # type: ignore[arg-type]


def _reads(**changes: object) -> Reads:
    reads = Reads({}, {}, {}, {"services": 0.25}, {})
    for key, value in changes.items():
        setattr(reads, key, value)
    return reads


SERVICES = ServicesCheck(name="services", units=("nginx", "php8.2-fpm"))


def test_an_unreachable_host_is_unknown_and_names_why() -> None:
    reads = _reads(
        unreachable={"web2": "connection refused"},
        facts={"services": {"web1": {"nginx": "active", "php8.2-fpm": "active"}}},
    )
    result = collect.judge(SERVICES, _env(), RUN, reads)
    assert result.status is Status.UNKNOWN
    assert result.summary == (
        "web2: could not check: web2 cannot be reached over SSH (connection refused)"
    )
    assert result.details[0] == "web1: nginx, php8.2-fpm active"


def test_a_known_problem_outranks_an_unreachable_host() -> None:
    reads = _reads(
        unreachable={"web2": "timed out"},
        facts={"services": {"web1": {"nginx": "active", "php8.2-fpm": "failed"}}},
    )
    result = collect.judge(SERVICES, _env(), RUN, reads)
    assert (result.status, result.summary) == (Status.CRITICAL, "web1: php8.2-fpm failed")


def test_a_fact_that_could_not_be_read_is_unknown_not_ok() -> None:
    reads = _reads(
        facts={"services": {"web1": None, "web2": {"nginx": "active", "php8.2-fpm": "active"}}}
    )
    result = collect.judge(SERVICES, _env(), RUN, reads)
    assert result.status is Status.UNKNOWN
    assert "the units' states could not be read on web1" in result.summary


def test_disk_per_host_and_a_missing_path() -> None:
    check = DiskCheck(name="disk", path="/srv")
    reads = _reads(
        facts={"disk": {"web1": {"/srv": DiskSpace(free=50, total=1000)}, "web2": {"/srv": None}}}
    )
    result = collect.judge(check, _env(), RUN, reads)
    # 5 % free: below the warning 10 %, not below the critical 5 %; a known WARNING
    # outranks web2's UNKNOWN.
    assert result.status is Status.WARNING
    assert result.summary == "web1: 5.0 % free on /srv (50 B of 1000 B)"
    assert "web2: could not check: /srv (no such path) could not be read on web2" in result.details
    assert set(result.metrics) == {"web1 free", "web1 free_bytes"}


def test_the_database_per_host() -> None:
    reads = _reads(
        facts={
            "database": {
                "web1": DatabaseProbe(True),
                "web2": DatabaseProbe(False, "ERROR 1045 denied"),
            }
        }
    )
    result = collect.judge(DatabaseCheck(name="database"), _env(), RUN, reads)
    assert result.status is Status.CRITICAL
    assert result.summary == "web2: the site user cannot connect: ERROR 1045 denied"


def test_the_error_page_from_the_host() -> None:
    check = ErrorPageCheck(name="error_page")
    branded = b'<main><div class="code">staging.demo.test \xc2\xb7 500</div></main>'
    reads = _reads(
        facts={
            "error_page:error_page": {
                "web1": LocalResponse(500, 0.01, branded),
                "web2": LocalResponse(500, 0.01, b"<b>Fatal error</b>: boom"),
            }
        }
    )
    result = collect.judge(check, _env(), RUN, reads)
    assert result.status is Status.CRITICAL and result.summary.startswith("web2: status 500")
    one = collect.judge(check, _env(hosts=_env().hosts[:1]), RUN, reads)
    assert (one.status, one.summary) == (Status.OK, "branded page with status 500")


def test_logs_from_every_host_are_judged_together() -> None:
    fatal = (
        b"[23-Nov-2026 10:00:00 UTC] PHP Fatal error:  Uncaught Exception: boom in "
        b"/srv/www/demo-staging/releases/1/public/x.php:3\nStack trace:\n#0 {main}\n"
        b"  thrown in /srv/www/demo-staging/releases/1/public/x.php on line 3\n"
    )
    entries, _ = read_chunk(LogRead("/var/log/php/x.log", 7, len(fatal), 0, fatal), None)
    reads = _reads(facts={"logs": {"web1": entries, "web2": list(entries)}})
    result = collect.judge(LogsCheck(name="logs"), _env(), RUN, reads)
    assert result.status is Status.WARNING
    assert result.summary.startswith("2 new entries (1 problem): fatal: Uncaught Exception: boom")
    assert result.metrics["entries"].value == 2


# ---- log bytes and cursors -------------------------------------------------------------


def test_a_partial_last_line_waits_for_the_next_look() -> None:
    data = b"2026/11/23 10:00:00 [crit] 12#12: *3 connect() failed\n2026/11/23 10:0"
    entries, cursor = read_chunk(LogRead("/x", 7, 900, 800, data), Cursor(7, 800))
    assert [e.level for e in entries] == ["crit"]
    assert cursor == Cursor(7, 800 + data.index(b"\n") + 1)


def test_one_endless_line_does_not_stop_the_cursor_for_good() -> None:
    data = b"x" * LOG_READ_LIMIT
    entries, cursor = read_chunk(LogRead("/x", 7, 10**9, 100, data), Cursor(7, 100))
    assert entries == [] and cursor == Cursor(7, 100 + LOG_READ_LIMIT)


def test_cursors_round_trip_and_bad_ones_read_as_a_first_look() -> None:
    assert load_cursor(dump_cursor(Cursor(42, 1000))) == Cursor(42, 1000)
    for junk in (
        None,
        "",
        "[]",
        '{"inode": 1}',
        '{"inode": "1", "offset": 2}',
        '{"inode": 1, "offset": -5}',
    ):
        assert load_cursor(junk) is None
    assert cursor_key("demo", "dev", "web1", "/var/log/x") == "logs:demo:dev:web1:/var/log/x"


# ---- certificates ---------------------------------------------------------------------------


def test_a_certificate_browsers_refuse_is_critical_whatever_its_dates() -> None:
    check = TlsCheck(name="certificate")
    later = AT + dt.timedelta(days=60)
    fine = judge_certificate(check, Fetched(Response(), not_after=later), RUN)
    assert fine.status is Status.OK and not fine.affects_availability
    refused = judge_certificate(
        check, Fetched(Response(), not_after=later, untrusted="certificate not trusted (x)"), RUN
    )
    assert refused.status is Status.CRITICAL and refused.affects_availability
    assert refused.summary.startswith("certificate not trusted (x); expires in 60d")
    soon = judge_certificate(check, Fetched(Response(), not_after=AT + dt.timedelta(days=5)), RUN)
    assert soon.status is Status.CRITICAL and not soon.affects_availability  # 7-day tier
    unread = judge_certificate(check, Fetched(Response(), tls_error="connection refused"), RUN)
    assert unread.status is Status.UNKNOWN and "connection refused" in unread.summary


def test_no_memory_reads_nothing() -> None:
    assert collect.NoMemory().get_state("logs:demo:dev:web1:/x") is None


def test_a_read_limit_is_generous() -> None:
    assert LOG_READ_LIMIT >= 1 << 20
