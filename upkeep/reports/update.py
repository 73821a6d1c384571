"""An update's report for the client: JSON, Markdown and HTML files, and the message sent.

The sentences are the report value's own (upkeep.update.report); the
templates only lay them out.

    >>> paths = write(report, workspace.reports / "update")   # doctest: +SKIP
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from upkeep.reports.files import report_path, write_atomically
from upkeep.templating import render as render_template
from upkeep.update.fleet_report import FleetReport
from upkeep.update.report import UpdateReport

FORMATS = ("json", "md", "html")


@dataclass(frozen=True)
class Message:
    """The report as the project's ``notify:`` channels send it."""

    subject: str
    text: str  # the Markdown, for the mail's plain part
    payload: dict[str, Any]  # for the webhook
    html: str


def render(report: UpdateReport, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(report.to_dict(), indent=2) + "\n"
    return render_template(f"reports/update.{fmt}.j2", report=report)


def write(report: UpdateReport, directory: Path) -> list[Path]:
    """The three files, named by project and run; their paths (JSON, Markdown, HTML)."""
    stem = f"{report.project}-{report.run_id}"
    return [
        write_atomically(report_path(directory, stem, fmt), render(report, fmt)) for fmt in FORMATS
    ]


def message(report: UpdateReport) -> Message:
    change = (  # ASCII: an arrow in a Subject comes back from some mailers with a space added
        f"PHP {report.from_build} -> {report.to_build}"
        if report.to_build != report.from_build
        else f"PHP {report.from_build}"
    )
    return Message(
        subject=f"[upkeep] {report.site}: {report.state}, {change}",
        text=render(report, "md"),
        payload={"event": "update.minor", **report.to_dict()},
        html=render(report, "html"),
    )


def write_fleet(report: FleetReport, directory: Path) -> list[Path]:
    """A fleet run's report: JSON and Markdown, named by its run; their paths."""
    stem = f"fleet-{report.run_id}"
    return [
        write_atomically(
            report_path(directory, stem, "json"), json.dumps(report.to_dict(), indent=2) + "\n"
        ),
        write_atomically(
            report_path(directory, stem, "md"),
            render_template("reports/update-fleet.md.j2", report=report),
        ),
    ]
