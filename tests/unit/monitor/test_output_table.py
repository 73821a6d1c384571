"""The human table and the JSON-ready dicts of check results."""

from __future__ import annotations

import datetime as dt
import json

from upkeep.monitor.output import exit_code, report_dict, result_dict, table
from upkeep.monitor.result import CheckResult, Metric, Status

AT = dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)


def result(check: str, status: Status, summary: str, **kwargs: object) -> CheckResult:
    kwargs.setdefault("environment", "production")
    environment = str(kwargs.pop("environment"))
    return CheckResult("demo", environment, check, status, summary, AT, **kwargs)  # type: ignore[arg-type]


def test_table_for_one_environment() -> None:
    text = table(
        [
            result("health", Status.OK, "200 in 41 ms, 2 conditions met", seconds=0.041),
            result(
                "logs",
                Status.WARNING,
                "2 new entries (1 problem): fatal: boom",
                seconds=1.5,
                details=("2× fatal [abc] boom",),
            ),
            result("disk", Status.OK, "40.0 % free on /", details=("not shown: all is well",)),
        ]
    )
    assert text == (
        "CHECK   STATUS   SUMMARY                                 TOOK\n"
        "------  -------  --------------------------------------  -----\n"
        "health  OK       200 in 41 ms, 2 conditions met          0.04s\n"
        "logs    WARNING  2 new entries (1 problem): fatal: boom  1.50s\n"
        "disk    OK       40.0 % free on /                        0.00s\n"
        "\n"
        "logs:\n"
        "  2× fatal [abc] boom"
    )


def test_table_for_several_environments_names_them() -> None:
    text = table(
        [
            result("health", Status.OK, "ok", environment="staging"),
            result("health", Status.CRITICAL, "down", environment="production", details=("d",)),
        ]
    )
    assert text.splitlines() == [
        "ENVIRONMENT  CHECK   STATUS    SUMMARY  TOOK",
        "-----------  ------  --------  -------  -----",
        "staging      health  OK        ok       0.00s",
        "production   health  CRITICAL  down     0.00s",
        "",
        "production/health:",
        "  d",
    ]


def test_table_without_results() -> None:
    assert table([]) == "no checks ran"


def test_result_dict() -> None:
    r = result(
        "certificate",
        Status.WARNING,
        "expires in 8d",
        seconds=0.2,
        kind="tls",
        affects_availability=False,
        metrics={"days_left": Metric(8.0, warn=14, crit=7, lower_is_worse=True)},
        details=("a",),
    )
    assert result_dict(r) == {
        "project": "demo",
        "environment": "production",
        "check": "certificate",
        "kind": "tls",
        "status": "WARNING",
        "summary": "expires in 8d",
        "headline": None,
        "cause": None,
        "location": None,
        "at": "2026-11-23T09:00:00+00:00",
        "seconds": 0.2,
        "affects_availability": False,
        "metrics": {
            "days_left": {
                "value": 8.0,
                "unit": "",
                "warn": 14,
                "crit": 7,
                "min": None,
                "max": None,
                "lower_is_worse": True,
            }
        },
        "details": ["a"],
    }


def test_report_dict_is_strict_json() -> None:
    results = [
        result("a", Status.OK, "x"),
        result("b", Status.UNKNOWN, "y", metrics={"n": Metric(float("nan"), maximum=float("inf"))}),
        result("c", Status.WARNING, "z"),
    ]
    report = report_dict(results)
    assert report["status"] == "WARNING"
    assert report["counts"] == {"OK": 1, "WARNING": 1, "CRITICAL": 0, "UNKNOWN": 1}
    assert [r["check"] for r in report["results"]] == ["a", "b", "c"]
    assert report["results"][1]["metrics"]["n"]["value"] is None
    text = json.dumps(report, allow_nan=False)  # raises on NaN or Infinity
    assert json.loads(text) == report


def test_exit_code_outside_nagios_is_the_plugins_too() -> None:
    # docs/scheduling.md: `upkeep check` exits 0/1/2/3 in every format (timers and CI read it).
    assert exit_code([]) == 0
    assert exit_code([result("a", Status.OK, "x")]) == 0
    for status in (Status.WARNING, Status.CRITICAL, Status.UNKNOWN):
        assert exit_code([result("a", Status.OK, "x"), result("b", status, "y")]) == int(status)
    # A known problem outranks not knowing (max_state_alt).
    assert exit_code([result("a", Status.UNKNOWN, "x"), result("b", Status.WARNING, "y")]) == 1
