"""Prometheus textfile: the exposition format 0.0.4 exactly, and an atomic write."""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from upkeep.errors import UsageError
from upkeep.monitor.prometheus import escape, render, sample, write_textfile
from upkeep.monitor.result import CheckResult, Metric, Status

AT = dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)


def result(check: str, status: Status, **kwargs: object) -> CheckResult:
    return CheckResult("demo", "production", check, status, "x", AT, **kwargs)  # type: ignore[arg-type]


def test_one_result_exactly() -> None:
    text = render(
        [
            result(
                "certificate",
                Status.WARNING,
                seconds=0.25,
                kind="tls",
                affects_availability=False,
                metrics={"days_left": Metric(7.5, warn=14, crit=7, lower_is_worse=True)},
            )
        ]
    )
    labels = 'project="demo",environment="production",check="certificate",kind="tls"'
    assert text == (
        "# HELP upkeep_check_status State of the check as Nagios numbers it: 0 OK, 1 WARNING, "
        "2 CRITICAL, 3 UNKNOWN.\n"
        "# TYPE upkeep_check_status gauge\n"
        f"upkeep_check_status{{{labels}}} 1\n"
        "# HELP upkeep_check_ok 1 if the check passed, else 0.\n"
        "# TYPE upkeep_check_ok gauge\n"
        f"upkeep_check_ok{{{labels}}} 0\n"
        "# HELP upkeep_check_affects_availability 1 if a failure of this check counts as "
        "downtime.\n"
        "# TYPE upkeep_check_affects_availability gauge\n"
        f"upkeep_check_affects_availability{{{labels}}} 0\n"
        "# HELP upkeep_check_duration_seconds How long the check took.\n"
        "# TYPE upkeep_check_duration_seconds gauge\n"
        f"upkeep_check_duration_seconds{{{labels}}} 0.25\n"
        "# HELP upkeep_check_last_run_timestamp_seconds When the check finished, in seconds "
        "since the epoch.\n"
        "# TYPE upkeep_check_last_run_timestamp_seconds gauge\n"
        f"upkeep_check_last_run_timestamp_seconds{{{labels}}} 1795424400\n"
        "# HELP upkeep_check_metric A number the check measured; its name and unit are labels.\n"
        "# TYPE upkeep_check_metric gauge\n"
        f'upkeep_check_metric{{{labels},metric="days_left",unit=""}} 7.5\n'
    )


def test_metrics_in_base_units() -> None:
    text = render(
        [
            result(
                "health",
                Status.OK,
                metrics={
                    "time": Metric(250, "ms"),
                    "fast": Metric(3, "us"),
                    "size": Metric(2, "GB"),
                    "free": Metric(12.5, "%"),
                },
            )
        ]
    )
    samples = {
        m["metric"]: (m["unit"], value) for m, value in _samples(text, "upkeep_check_metric")
    }
    assert samples == {
        "time": ("s", "0.25"),
        "fast": ("s", "3e-06"),
        "size": ("B", "2147483648"),
        "free": ("%", "12.5"),
    }


def test_no_metric_family_without_metrics() -> None:
    assert "upkeep_check_metric" not in render([result("db", Status.OK)])


def test_the_last_result_of_a_check_wins() -> None:
    text = render([result("db", Status.CRITICAL), result("db", Status.OK)])
    assert [value for _, value in _samples(text, "upkeep_check_status")] == ["0"]


def test_label_values_are_escaped() -> None:
    odd = CheckResult('we"ird\\', "production", "a\nb", Status.OK, "x", AT)
    line = next(line for line in render([odd]).splitlines() if line.startswith("upkeep_check_ok"))
    assert line == (
        'upkeep_check_ok{project="we\\"ird\\\\",environment="production",check="a\\nb",kind=""} 1'
    )


def test_samples() -> None:
    assert [sample(v) for v in (0, 3, 2.5, -1.0, 1e-7, 1e300, float("nan"), float("-inf"))] == [
        "0",
        "3",
        "2.5",
        "-1",
        "1e-07",
        "1e+300",
        "NaN",
        "-Inf",
    ]


def test_escape() -> None:
    assert escape('C:\\path "x"\nnext') == 'C:\\\\path \\"x\\"\\nnext'


# ---- a strict reader of the format, to check what any input renders to ---------------

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_SAMPLE = re.compile(rf"({_NAME})\{{(.*)\}} (\S+)", re.DOTALL)
_PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\\\|\\"|\\n)*)"(,|$)')


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), value)


def _parse(text: str) -> list[tuple[str, dict[str, str], str]]:
    """Samples, checking HELP/TYPE come once, before their family's samples, all together."""
    assert text.endswith("\n")
    seen_help: set[str] = set()
    seen_type: set[str] = set()
    finished: set[str] = set()
    current = None
    samples = []
    for line in text[:-1].split("\n"):  # the format's lines end in \n only
        if line.startswith("# HELP "):
            name = line.split()[2]
            assert name not in seen_help
            seen_help.add(name)
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            assert kind == "gauge" and name not in seen_type and name in seen_help
            seen_type.add(name)
            continue
        match = _SAMPLE.fullmatch(line)
        assert match, line
        name, body, value = match.groups()
        assert name in seen_type and name not in finished
        if current != name:
            if current is not None:
                finished.add(current)
            current = name
        labels = {}
        pos = 0
        while pos < len(body):
            pair = _PAIR.match(body, pos)
            assert pair, body[pos:]
            labels[pair.group(1)] = _unescape(pair.group(2))
            pos = pair.end()
        float(value.replace("Inf", "inf"))
        samples.append((name, labels, value))
    return samples


def _samples(text: str, family: str) -> list[tuple[dict[str, str], str]]:
    return [(labels, value) for name, labels, value in _parse(text) if name == family]


_text = st.text(max_size=15)


@given(
    st.lists(
        st.tuples(
            _text,
            _text,
            _text,
            st.sampled_from(list(Status)),
            st.dictionaries(_text, st.floats(), max_size=3),
        ),
        max_size=5,
    )
)
def test_any_results_render_to_valid_exposition(rows) -> None:
    results = [
        CheckResult(p, e, c, s, "x", AT, metrics={k: Metric(v) for k, v in m.items()})
        for p, e, c, s, m in rows
    ]
    parsed = _parse(render(results))
    keys = {(r.project, r.environment, r.check) for r in results}
    statuses = [
        (labels["project"], labels["environment"], labels["check"])
        for name, labels, _ in parsed
        if name == "upkeep_check_status"
    ]
    assert sorted(statuses) == sorted(keys)  # every check once, labels read back as given


# ---- the file ----------------------------------------------------------------------


def test_write_replaces_the_file_readable_by_the_collector(tmp_path: Path) -> None:
    target = tmp_path / "upkeep.prom"
    target.write_text("old\n")
    write_textfile(target, "new 1\n")
    assert target.read_text() == "new 1\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert os.listdir(tmp_path) == ["upkeep.prom"]  # no temporary file left


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "upkeep.prom"
    target.write_text("old\n")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(
        UsageError, match=r"upkeep.prom: cannot write it \(No space left on device\)"
    ):
        write_textfile(target, "new\n")
    assert target.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["upkeep.prom"]


def test_only_prom_files_in_an_existing_directory(tmp_path: Path) -> None:
    with pytest.raises(
        UsageError, match=r"reads only \*\.prom files \(name it e\.g\. upkeep\.prom\)"
    ):
        write_textfile(tmp_path / "upkeep.txt", "x 1\n")
    with pytest.raises(UsageError, match="no such directory"):
        write_textfile(tmp_path / "missing" / "upkeep.prom", "x 1\n")


def test_an_unwritable_directory_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(**kwargs: object) -> tuple[int, str]:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refused)
    with pytest.raises(UsageError, match=r"cannot write there \(Permission denied\)"):
        write_textfile(tmp_path / "upkeep.prom", "x 1\n")
