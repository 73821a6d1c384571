"""The refresh report's row counts add up: per table the rows in the dump, the rows a
truncate rule emptied and the rows on the target after; a totals row; and a sentence
stating copied + emptied = dumped and counted after = copied. The old report called
every dumped row "copied", truncated tables' rows included.

Reports are values as ``upkeep.refresh.workflow.refresh`` returns them (``rows``: the
verify step's counts on the target; ``data``: the transformer's summary), written
by the real template.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.unit.refresh.steps import took
from upkeep.refresh.workflow import DataSummary, RefreshReport
from upkeep.reports.refresh import write

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
STEPS = (took("database", 3.5, "1.2 MB dumped"),)


def refreshed(truncated: tuple[str, ...], rows: dict[str, int], dumped: int) -> RefreshReport:
    data = DataSummary(tables=len(rows), rows=dumped, values_sanitized=7, truncated=truncated)
    return RefreshReport("demo", "production", "staging", True, STEPS, rows=rows, data=data)


def written(report: RefreshReport, tmp_path: Path) -> tuple[dict[str, Any], str]:
    as_json, as_markdown = write(report, tmp_path, now=NOW)
    return json.loads(as_json.read_text()), as_markdown.read_text()


def test_one_table_truncated_every_count_per_table_and_totals_agree(tmp_path: Path) -> None:
    # 1,000 orders and 200 users copied; 34 sessions in the dump, emptied by a rule.
    report = refreshed(("sessions",), {"orders": 1000, "sessions": 0, "users": 200}, 1234)
    data, markdown = written(report, tmp_path)
    assert "1234 rows copied" not in markdown  # the dump's rows are not all copied
    assert (
        "| table | rows in the dump | emptied by a truncate rule | rows on staging after |\n"
        "| --- | ---: | ---: | ---: |\n"
        "| orders | 1000 | 0 | 1000 |\n"
        "| sessions | 34 | 34 | 0 |\n"
        "| users | 200 | 0 | 200 |\n"
        "| **total** | **1234** | **34** | **1200** |\n"
    ) in markdown
    assert (
        "1200 rows copied + 34 emptied by truncate rules = 1234 rows in production's dump; "
        "1200 rows counted on staging after the refresh = the 1200 copied."
    ) in markdown
    assert (
        "- 3 tables in production's dump, 1234 rows (1200 copied, 34 emptied by truncate rules)"
        in markdown
    )
    counts = data["row_counts"]
    assert counts["totals"] == {"dumped": 1234, "emptied": 34, "copied": 1200, "after": 1200}
    assert counts["adds_up"] is True
    assert {t["table"]: (t["dumped"], t["emptied"], t["after"]) for t in counts["tables"]} == {
        "orders": (1000, 0, 1000),
        "sessions": (34, 34, 0),
        "users": (200, 0, 200),
    }


def test_several_truncated_tables_are_counted_together_and_still_add_up(tmp_path: Path) -> None:
    rows = {"cache": 0, "orders": 1000, "sessions": 0}
    data, markdown = written(refreshed(("cache", "sessions"), rows, 1040), tmp_path)
    assert "| cache | — | — | 0 |\n" in markdown and "| sessions | — | — | 0 |\n" in markdown
    assert "| **total** | **1040** | **40** | **1000** |" in markdown
    assert "1000 rows copied + 40 emptied by truncate rules = 1040 rows" in markdown
    assert "The truncated tables' rows in the dump were counted together (40)" in markdown
    assert data["row_counts"]["totals"]["emptied"] == 40 and data["row_counts"]["adds_up"]


@dataclass(frozen=True)
class _Carried(RefreshReport):
    """A report that carries the transformer's per-table dump counts (``dumped``)."""

    dumped: dict[str, int] = field(default_factory=dict)


def test_per_table_dump_counts_are_used_when_carried_and_a_mismatch_is_said(
    tmp_path: Path,
) -> None:
    rows = {"cache": 0, "orders": 1000, "sessions": 0}
    base = refreshed(("cache", "sessions"), rows, 1040)
    report = _Carried(**{**base.__dict__, "dumped": {"cache": 6, "orders": 1000, "sessions": 34}})
    data, markdown = written(report, tmp_path / "exact")
    assert "| cache | 6 | 6 | 0 |\n" in markdown and "| sessions | 34 | 34 | 0 |\n" in markdown
    assert "counted together" not in markdown and data["row_counts"]["adds_up"]

    wrong = _Carried(**{**base.__dict__, "dumped": {"cache": 6, "orders": 990, "sessions": 34}})
    data, markdown = written(wrong, tmp_path / "wrong")
    assert (
        "These counts do not add up: 990 rows copied + 40 emptied by truncate rules ≠ 1040 rows "
        "in production's dump; 1000 rows counted on staging after the refresh ≠ the 990 copied."
    ) in markdown
    assert data["row_counts"]["adds_up"] is False


def test_without_a_transformer_the_target_counts_are_the_dump(tmp_path: Path) -> None:
    report = RefreshReport(
        "demo", "production", "staging", True, STEPS, rows={"users": 200, "orders": 1000}
    )
    data, markdown = written(report, tmp_path)
    assert "| **total** | **1200** | **0** | **1200** |" in markdown
    assert data["row_counts"]["totals"] == {
        "dumped": 1200,
        "emptied": 0,
        "copied": 1200,
        "after": 1200,
    }


def test_a_refresh_that_counted_nothing_has_no_counts(tmp_path: Path) -> None:
    failed = RefreshReport("demo", "production", "staging", False, (), "rsync failed")
    data, markdown = written(failed, tmp_path)
    assert data["row_counts"] is None and "## Rows" not in markdown
