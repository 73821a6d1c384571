"""After a refresh, successful or not: its report written where the repository keeps reports.

>>> published = publish(workspace, report)   # doctest: +SKIP
>>> published.files[1].suffix                 # doctest: +SKIP
'.md'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from upkeep.refresh.workflow import RefreshReport
from upkeep.reports import refresh as refresh_report
from upkeep.workspace import Workspace


@dataclass(frozen=True)
class Published:
    report: RefreshReport
    files: tuple[Path, ...]  # JSON, Markdown

    def to_dict(self) -> dict[str, Any]:
        return {**refresh_report.data(self.report), "report_files": [str(p) for p in self.files]}


def publish(workspace: Workspace, report: RefreshReport) -> Published:
    return Published(report, tuple(refresh_report.write(report, workspace.reports / "refresh")))
