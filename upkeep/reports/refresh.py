"""A refresh's report, as files beside the others: JSON for machines, Markdown for people.

>>> paths = write(report, workspace.reports / "refresh")   # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from upkeep.refresh.report import row_counts
from upkeep.refresh.workflow import RefreshReport
from upkeep.reports.files import report_path, write_atomically
from upkeep.templating import render as render_template

FORMATS = ("json", "md")


def data(report: RefreshReport) -> dict[str, Any]:
    """The report as JSON-ready values: the run, and its row counts (None: nothing counted)."""
    counts = row_counts(report)
    return {
        **report.to_dict(),
        "row_counts": counts.to_dict(report.source, report.target) if counts else None,
    }


def render(report: RefreshReport, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(data(report), indent=2, sort_keys=True) + "\n"
    return render_template("reports/refresh.md.j2", report=report, counts=row_counts(report))


def write(report: RefreshReport, directory: Path, now: dt.datetime | None = None) -> list[Path]:
    """The JSON and the Markdown, named by project, target and time (UTC); their paths."""
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    stem = f"{report.project}-{report.target}-{stamp}"
    return [
        write_atomically(report_path(directory, stem, fmt), render(report, fmt)) for fmt in FORMATS
    ]
