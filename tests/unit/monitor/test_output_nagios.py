"""Nagios plugin output: exit codes, the one status line, long output and perfdata, exactly."""

from __future__ import annotations

import datetime as dt
import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from upkeep.monitor.nagios import number, perfdatum, quote_label, render, usage_error
from upkeep.monitor.result import CheckResult, Metric, Status

AT = dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)


def result(
    check: str,
    status: Status,
    summary: str,
    *,
    environment: str = "production",
    project: str = "demo",
    metrics: dict[str, Metric] | None = None,
    details: tuple[str, ...] = (),
) -> CheckResult:
    return CheckResult(
        project, environment, check, status, summary, AT, metrics=metrics or {}, details=details
    )


# The guidelines' grammar for one item: 'label'=value[UOM];[warn];[crit];[min];[max]
_LABEL = r"(?:'(?:[^']|'')+'|[^'= ]+)"
_VALUE = r"(?:-?[0-9.]+|U)"
_UOM = r"(?:s|ms|us|%|B|KB|MB|TB|c)?"
_RANGE = r"(?:@?(?:~|-?[0-9.]+)?:?(?:-?[0-9.]+)?)"
PERFDATUM = re.compile(
    rf"{_LABEL}={_VALUE}{_UOM}(?:;{_RANGE}(?:;{_RANGE}(?:;-?[0-9.]*(?:;-?[0-9.]*)?)?)?)?"
)


def test_a_mixed_run_exactly() -> None:
    results = [
        result(
            "health",
            Status.CRITICAL,
            "[STATUS] == 200 (got 502)",
            metrics={"time": Metric(0.0413, "s", minimum=0)},
            details=("[STATUS] == 200 (got 502)", "[BODY].status == ok (got the body is not JSON)"),
        ),
        result(
            "certificate",
            Status.WARNING,
            "expires in 7d 15h, on 2026-12-01 (warning at 14 days)",
            metrics={"days_left": Metric(7.62, warn=14, crit=7, lower_is_worse=True)},
        ),
        result(
            "disk",
            Status.OK,
            "10.0 % free on / (4.0 GiB of 40.0 GiB)",
            metrics={
                "free": Metric(10.0, "%", 10, 5, 0, 100, lower_is_worse=True),
                "free_bytes": Metric(4294967296, "B", minimum=0, maximum=42949672960),
            },
        ),
        result("database", Status.UNKNOWN, "could not check: ssh: connection refused"),
    ]
    out = render(results)
    assert out.exit_code == 2
    assert out.text == (
        "UPKEEP CRITICAL - demo production: 3 of 4 checks failing; "
        "health CRITICAL: [STATUS] == 200 (got 502); "
        "certificate WARNING: expires in 7d 15h, on 2026-12-01 (warning at 14 days); "
        "database UNKNOWN: could not check: ssh: connection refused"
        " | health_time=0.0413s;;;0 certificate_days_left=7.62;14:;7: "
        "disk_free=10%;10:;5:;0;100 disk_free_bytes=4294967296B;;;0;42949672960\n"
        "[CRITICAL] health: [STATUS] == 200 (got 502)\n"
        "  [STATUS] == 200 (got 502)\n"
        "  [BODY].status == ok (got the body is not JSON)\n"
        "[WARNING] certificate: expires in 7d 15h, on 2026-12-01 (warning at 14 days)\n"
        "[OK] disk: 10.0 % free on / (4.0 GiB of 40.0 GiB)\n"
        "[UNKNOWN] database: could not check: ssh: connection refused\n"
    )


def test_all_ok_and_no_perfdata() -> None:
    out = render([result("database", Status.OK, "the site user connects")])
    assert out.text == (
        "UPKEEP OK - demo production: 1 check OK\n[OK] database: the site user connects\n"
    )
    assert out.exit_code == 0


def test_no_results_is_unknown() -> None:
    out = render([])
    assert (out.text, out.exit_code) == ("UPKEEP UNKNOWN - no checks ran\n", 3)


def test_bad_input_is_unknown_on_one_line() -> None:
    out = usage_error("inventories/demo.yml:12: checks[0].kind: 'htp' is not a kind\nsecond | line")
    assert out.exit_code == 3
    assert out.text == (
        "UPKEEP UNKNOWN - inventories/demo.yml:12: checks[0].kind: 'htp' is not a kind "
        "second / line\n"
    )


@pytest.mark.parametrize(
    ("statuses", "code"),
    [
        ([Status.OK], 0),
        ([Status.OK, Status.WARNING], 1),
        ([Status.OK, Status.CRITICAL, Status.WARNING], 2),
        ([Status.OK, Status.UNKNOWN], 3),
        ([Status.UNKNOWN, Status.WARNING], 1),  # a known problem outranks not knowing
        ([Status.UNKNOWN, Status.CRITICAL], 2),
    ],
)
def test_exit_code_is_the_worst_state(statuses: list[Status], code: int) -> None:
    out = render([result(f"c{i}", s, "x") for i, s in enumerate(statuses)])
    assert out.exit_code == code
    assert out.text.startswith(f"UPKEEP {Status(code).name} - ")


def test_problems_come_worst_first_on_the_first_line() -> None:
    out = render(
        [
            result("a", Status.WARNING, "w"),
            result("b", Status.UNKNOWN, "u"),
            result("c", Status.CRITICAL, "c"),
        ]
    )
    first = out.text.splitlines()[0]
    assert first == (
        "UPKEEP CRITICAL - demo production: 3 of 3 checks failing; c CRITICAL: c; "
        "a WARNING: w; b UNKNOWN: u"
    )


def test_a_pipe_or_newline_in_text_cannot_break_the_format() -> None:
    out = render(
        [result("x", Status.CRITICAL, "a | b", details=("c|d\ne",), metrics={"n": Metric(1)})]
    )
    lines = out.text.splitlines()
    assert lines[0].count("|") == 1
    assert lines[0].endswith(" | x_n=1")
    assert lines[1:] == ["[CRITICAL] x: a / b", "  c/d e"]


def test_long_summaries_are_cut_on_the_first_line_only() -> None:
    long = "y" * 150
    lines = render([result("x", Status.WARNING, long)]).text.splitlines()
    assert lines[0].endswith("x WARNING: " + "y" * 79 + "…")
    assert lines[1] == f"[WARNING] x: {long}"


def test_several_environments_and_projects_keep_labels_unique() -> None:
    metric = {"time": Metric(0.5, "s")}
    two_envs = render(
        [
            result("health", Status.OK, "ok", environment="staging", metrics=metric),
            result("health", Status.OK, "ok", environment="production", metrics=metric),
        ]
    ).text
    assert two_envs.splitlines() == [
        "UPKEEP OK - demo (staging, production): 2 checks OK"
        " | staging_health_time=0.5s production_health_time=0.5s",
        "[OK] staging/health: ok",
        "[OK] production/health: ok",
    ]
    two_projects = render(
        [
            result("health", Status.OK, "ok", project="a", metrics=metric),
            result("health", Status.CRITICAL, "down", project="b", metrics=metric),
        ]
    ).text
    assert two_projects.splitlines()[0] == (
        "UPKEEP CRITICAL - 2 projects: 1 of 2 checks failing; b_production_health CRITICAL: "
        "down | a_production_health_time=0.5s b_production_health_time=0.5s"
    )


# ---- perfdata --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "metric", "text"),
    [
        ("time", Metric(0.25, "s"), "time=0.25s"),
        ("time", Metric(250, "ms", 800, 2000, 0), "time=250ms;800;2000;0"),
        ("n", Metric(3), "n=3"),
        ("n", Metric(3, crit=5), "n=3;;5"),
        ("n", Metric(3, maximum=9), "n=3;;;;9"),
        ("free", Metric(12.5, "%", 10, 5, lower_is_worse=True), "free=12.5%;10:;5:"),
        ("size", Metric(2.5, "GB", 4, None, 0, 10), "size=2560MB;4096;;0;10240"),
        ("days", Metric(3, "days"), "days=3"),
        ("bytes", Metric(1e21, "B"), "bytes=1000000000000000000000B"),
        ("tiny", Metric(1e-7, "s"), "tiny=0.0000001s"),
        ("neg", Metric(-1.5, "c"), "neg=-1.5c"),
        ("nan", Metric(float("nan"), "s", 1, 2), "nan=Us;1;2"),
        ("inf", Metric(float("inf"), warn=float("nan"), crit=3), "inf=U;;3"),
        ("web-1 free", Metric(1, "%"), "'web-1 free'=1%"),
        ("it's", Metric(1), "'it''s'=1"),
        ("a=b", Metric(1), "'a=b'=1"),
    ],
)
def test_perfdata_items(label: str, metric: Metric, text: str) -> None:
    assert perfdatum(label, metric) == text
    assert PERFDATUM.fullmatch(text)


def test_labels() -> None:
    assert quote_label("disk_free") == "disk_free"
    assert quote_label("a b") == "'a b'"
    assert quote_label("o'clock") == "'o''clock'"
    assert quote_label("tab\there") == "'tab here'"  # no control characters
    assert quote_label("a|b") == "a/b"  # a '|' would end the plugin's text


_finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@given(_finite)
def test_numbers_are_plain_decimals_that_read_back_exactly(value: float) -> None:
    text = number(value)
    assert re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", text), text
    assert float(text) == value or (value == 0 and float(text) == 0)


@given(
    st.text(min_size=1, max_size=20).filter(lambda t: t.isprintable() and "|" not in t),
    st.one_of(_finite, st.just(math.nan)),
    st.sampled_from(["", "s", "ms", "us", "%", "B", "KB", "MB", "TB", "c", "GB", "days"]),
    *[st.one_of(st.none(), _finite) for _ in range(4)],
    st.booleans(),
)
def test_every_item_parses_with_the_guidelines_grammar(
    label, value, unit, warn, crit, minimum, maximum, lower
) -> None:
    text = perfdatum(label, Metric(value, unit, warn, crit, minimum, maximum, lower))
    assert not text.endswith(";")
    assert PERFDATUM.fullmatch(text), text  # no exponents, no stray characters
    head = text.rpartition("=")[0]
    # The label reads back as given (quotes undone).
    if head.startswith("'"):
        assert head[1:-1].replace("''", "'") == label
    else:
        assert head == label and not any(c in label for c in " ='")
