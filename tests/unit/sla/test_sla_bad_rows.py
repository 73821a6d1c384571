"""A history row the SLA report cannot read is refused, naming the row: never skipped.

An incident dropped because its time did not parse makes a month look better
than it was (98.28 % becomes 99.84 %), so ``upkeep sla report`` stops with
exit 2, one line that names the table, the row, the column and the text, and
writes no report.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from tests.unit import shop
from upkeep.cli.main import main
from upkeep.monitor.history import History

INVENTORY = shop.WITH_SLA

GOOD = ("2026-11-03T10:00:00.000000Z", "2026-11-03T22:00:00.000000Z")  # 12 h down


@pytest.fixture
def repo(workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("UPKEEP_STATE_DIR", str(tmp_path / "state"))
    (workspace / "inventories" / "shop.yml").write_text(INVENTORY)
    return workspace


def history_with(path: Path, *incidents: tuple[str, str | None, str | None]) -> Path:
    """A real monitoring history holding these incidents: (opened, resolved, acknowledged),
    and a health result every 15 minutes of November 2026, so all of it was observed."""
    History(path).close()  # the schema, as upkeep check creates it
    with sqlite3.connect(path) as db:
        start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
        db.executemany(
            "INSERT INTO results (project, environment, check_name, at, status, summary, "
            "seconds, kind, affects_availability, in_maintenance, metrics, details) "
            "VALUES ('shop', 'production', 'health', ?, 0, 'ok', 0, 'http', 1, 0, '{}', '[]')",
            [
                ((start + dt.timedelta(minutes=15 * n)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),)
                for n in range(30 * 24 * 4)
            ],
        )
        for opened, resolved, acknowledged in incidents:
            db.execute(
                "INSERT INTO incidents (project, environment, check_name, priority, worst, "
                "summary, opened, down_since, acknowledged, resolved) "
                "VALUES ('shop', 'production', 'health', 'P1', 2, 'down', ?, ?, ?, ?)",
                (opened, opened, acknowledged, resolved),
            )
    db.close()
    return path


def report(capsys: pytest.CaptureFixture[str], history: Path, out: Path) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        code = main(
            [
                "sla",
                "report",
                "shop",
                "--month",
                "2026-11",
                "--history",
                str(history),
                "--output",
                str(out),
            ]
        )
    except SystemExit as done:
        code = int(done.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_good_rows_make_a_report(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history = history_with(tmp_path / "h.db", (*GOOD, None))
    code, out, err = report(capsys, history, tmp_path / "reports")
    assert (code, err) == (0, "")
    assert "98.333 % available" in out and len(list((tmp_path / "reports").iterdir())) == 3


@pytest.mark.parametrize(
    ("row", "column", "bad"),
    [
        # text that sorts after every real time: an SQL time filter drops it unseen
        (("2026/11/20 10:00", "2026-11-20T11:00:00.000000Z", None), "opened", "2026/11/20 10:00"),
        # well shaped, impossible
        (("2026-11-31T10:00:00.000000Z", None, None), "opened", "2026-11-31T10:00:00.000000Z"),
        ((GOOD[0], "tomorrow", None), "resolved", "tomorrow"),
        ((GOOD[0], GOOD[1], "2026-11-03 10:10"), "acknowledged", "2026-11-03 10:10"),
    ],
)
def test_a_row_whose_time_does_not_parse_is_refused_naming_it(
    repo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    row: tuple[str, str | None, str | None],
    column: str,
    bad: str,
) -> None:
    history = history_with(tmp_path / "h.db", (*GOOD, None), row)
    code, out, err = report(capsys, history, tmp_path / "reports")
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "table incidents" in err and "id 2" in err
    assert f"column {column}" in err and repr(bad) in err and str(history) in err
    assert not (tmp_path / "reports").exists()  # no report written
