"""The refresh report files, from a report value."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from tests.unit.refresh.steps import took
from upkeep.refresh.workflow import RefreshReport
from upkeep.reports.refresh import write

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def test_a_successful_refresh_lists_its_steps_and_rows(tmp_path: Path) -> None:
    report = RefreshReport(
        "demo",
        "production",
        "staging",
        True,
        (
            took("backup", 1.25, "target backed up"),
            took("database", 3.5, "0.1 MB dumped"),
        ),
        rows={"users": 200, "orders": 1000},
    )
    as_json, as_markdown = write(report, tmp_path, now=NOW)
    assert as_json.name == "demo-staging-20261123T120000Z.json"
    assert json.loads(as_json.read_text())["steps"][1]["name"] == "database"
    text = as_markdown.read_text()
    assert "| database | 3.5 s | 0.1 MB dumped |" in text
    assert "| orders | 1000 |" in text and "**Done.**" in text


def test_a_failed_refresh_says_whether_the_target_was_restored(tmp_path: Path) -> None:
    report = RefreshReport(
        "demo", "production", "staging", False, (), "rsync failed", restored=True
    )
    _, as_markdown = write(report, tmp_path, now=NOW)
    text = as_markdown.read_text()
    assert "**Failed:** rsync failed" in text and "restored from its backup" in text
