"""A refresh's report, as files beside the others: JSON for machines, Markdown for people.

>>> paths = write(report, workspace.reports / "refresh")   # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from upkeep.refresh.workflow import RefreshReport
from upkeep.templating import render


def write(report: RefreshReport, directory: Path, now: dt.datetime | None = None) -> list[Path]:
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    base = directory / f"{report.project}-{report.target}-{stamp}"
    directory.mkdir(parents=True, exist_ok=True)
    as_json = base.with_suffix(".json")
    as_json.write_text(json.dumps(report.to_dict(), indent=2, sort_keys=True) + "\n")
    as_markdown = base.with_suffix(".md")
    as_markdown.write_text(render("reports/refresh.md.j2", report=report))
    return [as_json, as_markdown]
