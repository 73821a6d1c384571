"""The client's report of an update: Markdown, HTML and JSON, from the run's journal.

What changed where and when, the smoke checks and their answers, how long
production was affected, the pins commits, the security notes, and — when
it failed — why and how everything was put back.

    >>> paths = write(report, workspace.reports / "update")   # doctest: +SKIP
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from upkeep.notify import Delivery, Notify
from upkeep.smoke import SmokeResult
from upkeep.templating import render
from upkeep.update.journal import Journal, RunState
from upkeep.update.proposal import UpdateCheck


@dataclass(frozen=True)
class StepLine:
    name: str
    state: str
    started: str | None
    seconds: float | None
    detail: str


@dataclass(frozen=True)
class UpdateReport:
    project: str
    site: str  # the production domain, for the client
    run_id: str
    state: RunState
    from_build: str
    to_build: str
    started: str
    finished: str | None
    error: str | None
    steps: tuple[StepLine, ...]
    smoke: tuple[dict[str, Any], ...]
    production_affected_seconds: float | None
    staging_commit: str | None
    production_commit: str | None
    dev_commit: str | None = None
    undo: tuple[str, ...] = ()
    security: tuple[str, ...] = ()
    check: dict[str, Any] | None = field(default=None)

    @property
    def ok(self) -> bool:
        return self.state in (RunState.SUCCEEDED, RunState.NOTHING_TO_DO)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "state": str(self.state), "ok": self.ok}


def report_of(
    journal: Journal,
    site: str,
    smoke_results: Sequence[SmokeResult],
    check: UpdateCheck | None,
) -> UpdateReport:
    facts = journal.facts
    smoke = tuple(facts.get("smoke", ())) or tuple(r.to_dict() for r in smoke_results)
    return UpdateReport(
        project=journal.project,
        site=site,
        run_id=journal.run_id,
        state=journal.state,
        from_build=journal.from_build,
        to_build=journal.to_build,
        started=journal.started,
        finished=journal.finished,
        error=journal.error,
        steps=tuple(
            StepLine(s.name, str(s.state), s.started, s.seconds, s.detail) for s in journal.steps
        ),
        smoke=smoke,
        production_affected_seconds=facts.get("production_affected_seconds"),
        staging_commit=facts.get("staging_commit"),
        production_commit=facts.get("production_commit"),
        dev_commit=facts.get("dev_commit"),
        undo=tuple(journal.undo),
        security=tuple(facts.get("security", ())),
        check=check.to_dict() if check else None,
    )


def write(report: UpdateReport, directory: Path) -> list[Path]:
    """The three files, named by project and run; their paths (JSON, Markdown, HTML)."""
    directory.mkdir(parents=True, exist_ok=True)
    base = directory / f"{report.project}-{report.run_id}"
    paths = [base.with_suffix(".json"), base.with_suffix(".md"), base.with_suffix(".html")]
    paths[0].write_text(json.dumps(report.to_dict(), indent=2) + "\n")
    paths[1].write_text(render("reports/update.md.j2", report=report))
    paths[2].write_text(render("reports/update.html.j2", report=report))
    return paths


def notify(report: UpdateReport, settings: Notify) -> list[Delivery]:
    """The report to the project's ``notify:`` webhook (JSON) and mail (text and HTML).

    Sending never fails the update: each delivery comes back as a value to show.
    """
    change = (  # ASCII: an arrow in a Subject comes back from some mailers with a space added
        f"PHP {report.from_build} -> {report.to_build}"
        if report.to_build != report.from_build
        else f"PHP {report.from_build}"
    )
    subject = f"[upkeep] {report.site}: {report.state}, {change}"
    payload = {"event": "update.minor", **report.to_dict()}
    text = render("reports/update.md.j2", report=report)
    html = render("reports/update.html.j2", report=report)
    return settings.send(subject, text, payload, html)
