"""After a refresh: its report files where the repository keeps reports, and what the CLI
prints of them (the --json envelope of a failed refresh carries its error and exit code)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from tests.unit.refresh.steps import took
from upkeep.cli import refresh as refresh_cli
from upkeep.cli.across import answer
from upkeep.refresh.publish import publish
from upkeep.refresh.workflow import RefreshFailed, RefreshReport
from upkeep.workspace import find_workspace

FAILED = RefreshReport(
    "demo",
    "production",
    "staging",
    False,
    (took("backup", 1.25, "target backed up"),),
    "rsync failed",
    restored=True,
)


def test_the_report_lands_under_reports_refresh(workspace: Path) -> None:
    published = publish(find_workspace(str(workspace)), FAILED)
    assert [p.parent for p in published.files] == [workspace / "reports" / "refresh"] * 2
    assert [p.suffix for p in published.files] == [".json", ".md"]
    data = published.to_dict()
    assert data["report_files"] == [str(p) for p in published.files]
    assert data["error"] == "rsync failed" and data["row_counts"] is None


@pytest.mark.parametrize("as_json", [True, False])
def test_a_failed_refresh_is_said_with_its_exit_code(
    workspace: Path, capsys: pytest.CaptureFixture[str], as_json: bool
) -> None:
    published = publish(find_workspace(str(workspace)), FAILED)
    failed = RefreshFailed(FAILED)
    args = argparse.Namespace(json=as_json, command_name="refresh")
    assert answer(args, refresh_cli._finish(args, published, failed)) == 1
    out, err = capsys.readouterr()
    assert err == f"upkeep: {failed}\n" and "restored from its backup" in err
    if as_json:
        wrapped = json.loads(out)
        assert (wrapped["command"], wrapped["status"], wrapped["exit_code"]) == (
            "refresh",
            "failed",
            1,
        )
        assert wrapped["errors"] == [{"message": str(failed)}]
        assert wrapped["data"]["report_files"] == [str(p) for p in published.files]
    else:
        assert "demo staging NOT refreshed from production; report: " in out
