"""The checks: section: its shape, its defaults, how layers merge, and its problem lines."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from upkeep.inventory import yamldoc
from upkeep.inventory.checks import (
    CHECKS,
    DEFAULT_MARKER,
    Checks,
    DatabaseCheck,
    Disabled,
    DiskCheck,
    ErrorPageCheck,
    HttpCheck,
    LogsCheck,
    PhpBuildCheck,
    ServicesCheck,
    TlsCheck,
    default_checks,
    effective,
)
from upkeep.inventory.conditions import parse
from upkeep.inventory.model import Model
from upkeep.inventory.priority import Priority
from upkeep.inventory.problems import from_validation, sort_lines
from upkeep.monitor.logscan import FATAL


class Inventory(Model):
    """Stands in for Project and Environment, which take the section under the same key."""

    checks: Checks = ()


def problems(text: str) -> list[str]:
    """The problem lines `upkeep inventory check` would print for this YAML."""
    doc = yamldoc.parse(text)
    assert not doc.problems
    with pytest.raises(ValidationError) as caught:
        Inventory.model_validate(doc.data)
    return sort_lines(from_validation("demo.yml", doc, caught.value, Inventory))


def load(text: str) -> tuple[Any, ...]:
    return Inventory.model_validate(yamldoc.parse(text).data).checks


EXAMPLE = """\
checks:
  - name: home
    kind: http
    path: /
    conditions: ["[STATUS] == 200", "[BODY] == pat(*users*)", "[RESPONSE_TIME] < 800"]
  - name: api
    kind: http
    url: https://api.example.com/v1/ping
    conditions: ["[BODY].pong == true"]
    timeout: 3
    priority: P3
    interval: 5m
  - name: certificate
    kind: tls
    tiers: {notice: 45, warning: 21, critical: 10}
  - name: services
    kind: services
    units: [nginx, php8.3-fpm, mariadb, redis-server]
  - name: data-disk
    kind: disk
    path: /srv
    warning: 20
    critical: 10
  - name: logs
    kind: logs
    sources: [php]
    levels: [fatal, parse, warning]
    ignore: ["*Deprecated*"]
    status: critical
  - name: error_page
    kind: error_page
    path: /_fail
    marker: Acme Shop
  - name: php
    kind: php_build
    path: /status.json
    field: runtime.php
    expected: 8.2.36
  - {name: database, enabled: false}
"""


def test_the_example_loads_into_typed_checks() -> None:
    home, api, tls, services, disk, logs, error_page, php, off = load(EXAMPLE)
    assert isinstance(home, HttpCheck)
    assert [str(c) for c in home.conditions] == [
        "[STATUS] == 200",
        "[BODY] == pat(*users*)",
        "[RESPONSE_TIME] < 800",
    ]
    assert (home.priority, home.interval, home.timeout) == (Priority.P1, None, 10.0)
    assert home.url_for("www.demo.lab", https=False) == "http://www.demo.lab/"
    assert isinstance(api, HttpCheck)
    assert (api.priority, api.interval, api.timeout) == (Priority.P3, 300, 3.0)
    assert api.url_for("www.demo.lab", https=True) == "https://api.example.com/v1/ping"
    assert isinstance(tls, TlsCheck)
    assert (tls.tiers.notice, tls.tiers.warning, tls.tiers.critical) == (45, 21, 10)
    assert isinstance(services, ServicesCheck)
    assert services.units == ("nginx", "php8.3-fpm", "mariadb", "redis-server")
    assert isinstance(disk, DiskCheck)
    assert (disk.path, disk.warning, disk.critical) == ("/srv", 20, 10)
    assert isinstance(logs, LogsCheck)
    assert (logs.sources, logs.levels, logs.ignore, logs.status) == (
        ("php",),
        ("fatal", "parse", "warning"),
        ("*Deprecated*",),
        "critical",
    )
    assert isinstance(error_page, ErrorPageCheck)
    assert (error_page.path, error_page.marker) == ("/_fail", "Acme Shop")
    assert isinstance(php, PhpBuildCheck)
    assert (php.path, php.field, php.expected) == ("/status.json", "runtime.php", "8.2.36")
    assert off == Disabled(name="database", enabled=False)


def test_kind_defaults() -> None:
    tls = CHECKS.validate_python([{"name": "c", "kind": "tls"}])[0]
    assert isinstance(tls, TlsCheck)
    assert (tls.tiers.notice, tls.tiers.warning, tls.tiers.critical) == (30, 14, 7)
    assert (tls.priority, tls.affects_availability) == (Priority.P2, False)
    logs = CHECKS.validate_python([{"name": "l", "kind": "logs"}])[0]
    assert isinstance(logs, LogsCheck)
    assert (logs.sources, logs.levels, logs.status) == (("php", "nginx"), FATAL, "warning")
    page = CHECKS.validate_python([{"name": "e", "kind": "error_page"}])[0]
    assert isinstance(page, ErrorPageCheck)
    assert (page.path, page.marker, page.priority) == (None, DEFAULT_MARKER, Priority.P4)
    disk = CHECKS.validate_python([{"name": "d", "kind": "disk"}])[0]
    assert isinstance(disk, DiskCheck)
    assert (disk.path, disk.warning, disk.critical) == ("/", 10, 5)
    database = CHECKS.validate_python([{"name": "db", "kind": "database"}])[0]
    assert isinstance(database, DatabaseCheck)
    assert (database.priority, database.affects_availability) == (Priority.P1, True)


def test_a_dump_loads_back_the_same() -> None:
    checks = load(EXAMPLE)
    dumped = Inventory(checks=checks).model_dump(mode="json")
    assert dumped["checks"][0]["conditions"][1] == "[BODY] == pat(*users*)"
    assert dumped["checks"][0]["kind"] == "http"
    assert Inventory.model_validate(dumped).checks == checks


def test_the_section_is_frozen() -> None:
    check = load(EXAMPLE)[0]
    with pytest.raises(ValidationError):
        check.name = "other"


def test_absent_section_means_no_declared_checks() -> None:
    assert Inventory.model_validate({}).checks == ()
    assert load("checks: []\n") == ()


# ---- problem lines -------------------------------------------------------------


def test_every_problem_of_an_entry_at_its_own_line() -> None:
    text = """\
checks:
  - name: home
    kind: htp
  - name: home2
    kind: http
    path: nope
    conditions: ["[STATUS] = 200", "[BODY].status == ok"]
  - name: cert
    kind: tls
    tiers: {warning: 5, critical: 7}
    tier: 1
  - name: svc
    kind: services
    units: [nginx, "rm -rf /", nginx]
  - {name: y}
  - name: w
    kind: disk
    warning: 3
  - name: q
    kind: logs
    levels: [fatal, fatl]
    interval: 5x
"""
    assert problems(text) == [
        "demo.yml:3: checks[0].kind: 'htp' is not a kind of check (did you mean 'http'?)",
        "demo.yml:6: checks[1].path: 'nope' is not a safe URL path (start with '/', use "
        "letters, digits and . _ ~ / - only, no '..')",
        "demo.yml:7: checks[1].conditions[0]: condition '[STATUS] = 200': '=' is not an "
        "operator (use ==)",
        "demo.yml:10: checks[2].tiers: critical (7 days) must be fewer days than warning (5 days)",
        "demo.yml:11: checks[2].tier: unknown key for a tls check (did you mean 'tiers'?)",
        "demo.yml:14: checks[3].units[1]: 'rm -rf /' is not a systemd unit name (letters, "
        "digits and @ . _ : - only)",
        "demo.yml:15: checks[4].kind: missing (add 'kind:', one of http, tls, php_build, "
        "services, disk, database, logs, error_page)",
        "demo.yml:16: checks[5]: critical (5 % free) must be less than warning (3 % free)",
        "demo.yml:21: checks[6].levels[1]: 'fatl' is not one of 'emerg', 'alert', 'crit', "
        "'fatal', 'parse', 'error', 'warning', 'notice', 'deprecated', 'info' or 'debug' "
        "(did you mean 'fatal'?)",
        "demo.yml:22: checks[6].interval: '5x' is not a duration (write e.g. 30s, 5m, 1h30m "
        "or 30d)",
    ]


def test_repeated_units_are_named() -> None:
    text = "checks:\n  - {name: s, kind: services, units: [nginx, mariadb, nginx]}\n"
    assert problems(text) == [
        "demo.yml:2: checks[0].units: listed more than once: nginx (keep one of each)"
    ]


def test_duplicate_names_are_refused_naming_both_entries() -> None:
    text = """\
checks:
  - {name: home, kind: database}
  - {name: disk, kind: disk}
  - {name: home, kind: tls}
"""
    assert problems(text) == [
        "demo.yml:1: checks: checks[2] repeats the name 'home' of checks[0] (give each check "
        "its own name; to change a default, use its name once)"
    ]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{name: h, kind: http, conditions: ['[STATUS] == 200']}", "give either path: /..."),
        (
            "{name: h, kind: http, path: /, url: 'https://a.example/', conditions: ['[STATUS] == 200']}",
            "not both and not neither",
        ),
        ("{name: h, kind: http, path: /, conditions: []}", "empty (give at least one entry)"),
        ("{name: h, kind: http, path: /}", "missing (add 'conditions:' under checks[0])"),
        (
            "{name: h, kind: http, url: 'ftp://a.example/', conditions: ['[STATUS] == 200']}",
            "is not an http:// or https:// URL",
        ),
        (
            "{name: h, kind: http, url: 'https://u:p@a.example/', conditions: ['[STATUS] == 200']}",
            "put no credentials in a check URL",
        ),
        ("{name: h, kind: http, path: /../etc, conditions: ['[STATUS] == 200']}", "no '..'"),
        (
            "{name: h, kind: http, path: /, conditions: ['[STATUS] == 200'], timeout: 600}",
            "is too large (use at most 120",
        ),
        ("{name: 'my check', kind: tls}", "'my check' is not a check name"),
        ("{kind: tls}", "missing (add 'name:' under checks[0])"),
        ("{name: c, kind: tls, priority: P5}", "P5"),
        ("{name: c, kind: tls, tiers: {warning: 0}}", "too small (use at least 1)"),
        (
            "{name: c, kind: tls, tiers: {notice: 10}}",
            "notice (10 days) must be at least warning (14 days)",
        ),
        ("{name: c, kind: tls, interval: 2s}", "'2s' is out of range (use between 10s and 1d)"),
        ("{name: d, kind: disk, path: var}", "'var' is not an absolute path"),
        ("{name: d, kind: disk, warning: 120}", "less than 100"),
        ("{name: p, kind: php_build, expected: 'eight'}", "'eight' is not a PHP package version"),
        ("{name: p, kind: php_build, field: 'a..b'}", "'a..b' is not a JSON path"),
        ("{name: e, kind: error_page, marker: ' '}", "the marker must be one line"),
        (
            "{name: l, kind: logs, sources: [php, apache]}",
            "'apache' is not one of 'php' or 'nginx'",
        ),
        (
            "{name: x, enabled: false, path: /}",
            "unknown key for a switched-off check (write only name and enabled: false)",
        ),
        ("{name: x, enabled: 'no'}", "missing (add 'kind:'"),
        ("{name: c, kind: tls, enabled: 'no'}", "expected true or false"),
        ("{name: x, kind: 7}", "'7' is not a kind of check (use one of http, tls"),
        ("just-a-name", "expected a check ('name:' and 'kind:' lines), got str"),
    ],
)
def test_one_problem_each(entry: str, message: str) -> None:
    found = problems(f"checks:\n  - {entry}\n")
    assert len(found) == 1, found
    assert message in found[0]
    assert found[0].startswith("demo.yml:2: checks[0]")


def test_a_disabled_entry_may_name_its_kind_or_be_complete() -> None:
    short, named, full = load(
        """\
checks:
  - {name: a, enabled: false}
  - {name: b, kind: http, enabled: false}
  - {name: c, kind: http, path: /, conditions: ["[STATUS] == 200"], enabled: false}
"""
    )
    assert isinstance(short, Disabled) and isinstance(named, Disabled)
    assert named.kind == "http"
    assert isinstance(full, HttpCheck) and not full.enabled


# ---- defaults and layers -------------------------------------------------------


def names(checks: tuple[Any, ...]) -> list[str]:
    return [check.name for check in checks]


def test_the_default_set() -> None:
    checks = default_checks(health_path="/up.php", php_line="8.3")
    assert names(checks) == [
        "health",
        "certificate",
        "php_build",
        "services",
        "disk",
        "database",
        "logs",
        "error_page",
    ]
    health = checks[0]
    assert isinstance(health, HttpCheck)
    assert health.path == "/up.php"
    assert [str(c) for c in health.conditions] == ["[STATUS] == 200", "[BODY].status == ok"]
    services = checks[3]
    assert isinstance(services, ServicesCheck)
    assert services.units == ("nginx", "php8.3-fpm", "mariadb")
    php = checks[2]
    assert isinstance(php, PhpBuildCheck)
    assert (php.path, php.field, php.expected) == ("/up.php", "php_version", None)


def test_without_declarations_an_environment_runs_the_defaults() -> None:
    checks = effective((), (), health_path="/health.php", php_line="8.2")
    assert checks == default_checks(health_path="/health.php", php_line="8.2")


def test_without_https_there_is_no_certificate_check() -> None:
    checks = effective((), (), health_path="/health.php", php_line="8.2", https=False)
    assert "certificate" not in names(checks)
    assert len(checks) == len(default_checks(health_path="/h", php_line="8.2")) - 1


def test_layers_replace_add_and_switch_off_by_name() -> None:
    project = CHECKS.validate_python(
        [
            {"name": "home", "kind": "http", "path": "/", "conditions": ["[STATUS] == 200"]},
            {"name": "disk", "kind": "disk", "warning": 25, "critical": 15},
            {"name": "error_page", "enabled": False},
        ]
    )
    production = CHECKS.validate_python(
        [
            {"name": "home", "kind": "http", "path": "/", "conditions": ["[STATUS] < 400"]},
            {"name": "shop", "kind": "http", "path": "/shop", "conditions": ["[STATUS] == 200"]},
            {"name": "logs", "enabled": False},
            {"name": "error_page", "kind": "error_page", "marker": "Acme"},
        ]
    )
    staging = effective(project, (), health_path="/health.php", php_line="8.2")
    assert names(staging) == [
        "health",
        "certificate",
        "php_build",
        "services",
        "database",
        "logs",
        "home",
        "disk",
    ]
    disk = staging[-1]
    assert isinstance(disk, DiskCheck) and disk.warning == 25
    live = effective(project, production, health_path="/health.php", php_line="8.2")
    assert names(live) == [
        "health",
        "certificate",
        "php_build",
        "services",
        "database",
        "disk",
        "home",
        "shop",
        "error_page",
    ]
    home = live[6]
    assert isinstance(home, HttpCheck)
    assert [str(c) for c in home.conditions] == ["[STATUS] < 400"]  # the environment's wins


def test_a_check_switched_off_by_its_own_flag_is_left_out() -> None:
    project = CHECKS.validate_python(
        [
            {
                "name": "home",
                "kind": "http",
                "path": "/",
                "conditions": ["[STATUS] == 200"],
                "enabled": False,
            }
        ]
    )
    assert "home" not in names(effective(project, (), health_path="/h", php_line="8.2"))


def test_fields_left_to_the_environment_are_filled_in() -> None:
    project = CHECKS.validate_python(
        [{"name": "php_build", "kind": "php_build"}, {"name": "services", "kind": "services"}]
    )
    checks = effective(project, (), health_path="/ping.php", php_line="7.4")
    php = next(c for c in checks if c.name == "php_build")
    services = next(c for c in checks if c.name == "services")
    assert isinstance(php, PhpBuildCheck) and php.path == "/ping.php"
    assert isinstance(services, ServicesCheck)
    assert services.units == ("nginx", "php7.4-fpm", "mariadb")


def test_http_conditions_are_parsed_values() -> None:
    check = HttpCheck(name="h", path="/", conditions=(parse("[STATUS] == 200"),))
    assert check.conditions[0].left.placeholder.value == "STATUS"


# ---- kept in step with the inventory model -------------------------------------------


def test_the_base_has_the_inventory_models_settings() -> None:
    # One base for every section (upkeep.inventory.base).
    from upkeep.inventory.checks import Check
    from upkeep.inventory.model import Model as InventoryModel

    assert issubclass(Check, InventoryModel)
    assert Check.model_config == InventoryModel.model_config


@given(st.text(alphabet="/abc.._~-?=&% é", max_size=12))
def test_url_paths_follow_the_health_path_rule(text: str) -> None:
    from upkeep.inventory.checks import _url_path
    from upkeep.inventory.identifiers import health_path

    def verdict(check: Any) -> str:
        try:
            return f"ok {check(text)}"
        except ValueError as error:
            return f"refused {error}"

    assert verdict(_url_path) == verdict(health_path)
