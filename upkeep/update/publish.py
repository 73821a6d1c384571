"""After an update run: its report written where the repository keeps reports, and sent
to the people the project's ``notify:`` names.

Sending never fails the update: each delivery comes back as a value to show.

    >>> published = publish(workspace, project, report)   # doctest: +SKIP
    >>> [d.channel for d in published.deliveries]   # doctest: +SKIP
    ['webhook', 'mail']
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from upkeep.inventory import Project
from upkeep.inventory.notify import Notify
from upkeep.notify import Delivery, send
from upkeep.reports import update as update_report
from upkeep.update.report import UpdateReport
from upkeep.workspace import Workspace


@dataclass(frozen=True)
class Published:
    report: UpdateReport
    files: tuple[Path, ...] = ()  # JSON, Markdown, HTML; none when no step ran
    deliveries: tuple[Delivery, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {**self.report.to_dict(), "report_files": [str(p) for p in self.files]}


def publish(workspace: Workspace, project: Project, report: UpdateReport) -> Published:
    """Files and notifications for a run that happened (one with steps); nothing otherwise."""
    if not report.steps:
        return Published(report)
    files = update_report.write(report, workspace.reports / "update")
    settings = project.notify  # the model the run was given, not a second read
    return Published(report, tuple(files), tuple(notify(report, settings)))


def notify(report: UpdateReport, settings: Notify) -> list[Delivery]:
    """The report to the project's ``notify:`` webhook (JSON) and mail (text and HTML)."""
    sent = update_report.message(report)
    return send(settings, sent.subject, sent.text, sent.payload, sent.html)
