"""Upgrade proposals: when the package source offers a newer PHP line than a project's,
a proposal for the client, with the scoped estimate attached.

Minor builds (a newer build on the project's line) are within the plan when it
includes minor updates: ``upkeep update minor`` applies them, nothing is
proposed. A newer line is a major upgrade, which upkeep never applies: a plan
with ``major_proposals`` gets a proposal for the newest line offered, with the
estimate's hours and a recommended window (the first production maintenance
window at least ``LEAD_DAYS`` away, time to accept the quote and prepare).

    >>> decide_major(None, "8.2", ["8.3", "8.4"]).why
    'no care plan'
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from upkeep.atomic import write_atomic
from upkeep.inventory import Project
from upkeep.inventory.care import Care
from upkeep.inventory.maintenance import MaintenanceWindow

LEAD_DAYS = 14  # from the proposal to the earliest window it recommends
_HORIZON_DAYS = 120  # how far ahead a window is looked for


@dataclass(frozen=True)
class MajorDecision:
    """Whether a major upgrade is proposed, to which line, and why (not)."""

    to_line: str | None  # None: nothing to propose
    why: str


def decide_major(care: Care | None, line: str, offered: Iterable[str]) -> MajorDecision:
    """The newest line in ``offered`` above ``line``, if the plan asks for proposals."""
    newer = sorted((o for o in offered if _key(o) > _key(line)), key=_key)
    if care is None:
        return MajorDecision(None, "no care plan")
    if not newer:
        return MajorDecision(None, f"no PHP line newer than {line} is offered")
    if not care.major_proposals:
        return MajorDecision(None, f"plan {care.plan} has no major-upgrade proposals")
    return MajorDecision(newer[-1], f"PHP {newer[-1]} is offered; the project runs {line}")


def _key(line: str) -> tuple[int, ...]:
    return tuple(int(part) for part in line.split("."))


@dataclass(frozen=True)
class Hours:
    """The estimate's hours of work: the range and the likeliest.

    >>> Hours(8.0, 12.5, 20.0).describe()
    '12.5 hours (between 8 and 20)'
    """

    low: float
    expected: float
    high: float

    def describe(self) -> str:
        return f"{self.expected:g} hours (between {self.low:g} and {self.high:g})"


@dataclass(frozen=True)
class UpgradeProposal:
    """One project's proposal, ready to send: what, why, how long, when."""

    project: str
    client: str
    contact: str
    language: str
    from_line: str
    to_line: str
    hours: Hours
    breaking: int  # findings that break on the new line
    deprecated: int
    scanned: str  # what the estimate scanned: project@commit
    window: Window | None  # None: no production maintenance window to recommend
    minor: str  # how minor builds are handled under the plan
    estimate_reports: tuple[str, ...]  # the full estimate, as written

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["window"] = (
            None
            if self.window is None
            else {
                **asdict(self.window),
                "start": _iso(self.window.start),
                "end": _iso(self.window.end),
            }
        )
        data["estimate_reports"] = list(self.estimate_reports)
        return data


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


def minor_policy(care: Care) -> str:
    if care.minor_updates:
        return "newer builds of the same line are applied within the plan (upkeep update minor)"
    return f"plan {care.plan} does not include minor updates: each is quoted separately"


@dataclass(frozen=True)
class Window:
    """One occurrence of a maintenance window, in UTC, and what the window is for."""

    start: dt.datetime
    end: dt.datetime
    reason: str

    def describe(self, zone: dt.tzinfo) -> str:
        start, end = self.start.astimezone(zone), self.end.astimezone(zone)
        why = f" ({self.reason})" if self.reason else ""
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M} {start.tzname()}{why}"


def recommended_window(
    windows: Sequence[MaintenanceWindow], now: dt.datetime, lead_days: int = LEAD_DAYS
) -> Window | None:
    """The first production maintenance window opening at least ``lead_days`` after ``now``."""
    earliest = now + dt.timedelta(days=lead_days)
    horizon = earliest + dt.timedelta(days=_HORIZON_DAYS)
    found = [
        Window(start, end, window.reason)
        for window in windows
        if window.applies_to("production")
        for start, end in window.intervals(earliest, horizon)
        if start > earliest  # a window already open then is no time to start
    ]
    return min(found, key=lambda w: w.start) if found else None


def proposal_for(
    project: Project,
    decision: MajorDecision,
    from_line: str,
    estimate: Mapping[str, Any],
    reports: Sequence[Path],
    now: dt.datetime,
) -> UpgradeProposal:
    """The proposal for ``project`` from its ``estimate`` (the estimate report's JSON data)."""
    care = project.care
    if care is None or decision.to_line is None:
        raise ValueError(f"{project.name}: nothing to propose ({decision.why})")
    summary = estimate["summary"]
    hours = summary["hours"]
    return UpgradeProposal(
        project=project.name,
        client=care.client.name,
        contact=care.client.contact,
        language=care.client.language,
        from_line=from_line,
        to_line=decision.to_line,
        hours=Hours(*(round(float(hours[key]), 1) for key in ("low", "expected", "high"))),
        breaking=int(summary["breaking"]),
        deprecated=int(summary["deprecated"]),
        scanned=str(estimate["source"]),
        window=recommended_window(project.maintenance, now),
        minor=minor_policy(care),
        estimate_reports=tuple(str(path) for path in reports),
    )


def render_markdown(proposal: UpgradeProposal, zone: dt.tzinfo) -> str:
    """The proposal as the client reads it (English; the client's language is in the JSON)."""
    window = (
        proposal.window.describe(zone)
        if proposal.window
        else "no maintenance window in the inventory: to be agreed"
    )
    lines = [
        f"# PHP {proposal.from_line} → {proposal.to_line} upgrade proposal: {proposal.project}",
        "",
        f"For {proposal.client} ({proposal.contact}).",
        "",
        f"PHP {proposal.to_line} is offered by the package source; the site runs "
        f"PHP {proposal.from_line}. A new PHP line is a major upgrade, quoted separately.",
        "",
        f"- Estimated work: {proposal.hours.describe()}",
        f"- Found in the code ({proposal.scanned}): {proposal.breaking} changes that break on "
        f"PHP {proposal.to_line}, {proposal.deprecated} deprecated",
        f"- Recommended window: {window}",
        f"- Minor updates: {proposal.minor}",
        "",
        "The full estimate:",
        *(f"- {path}" for path in proposal.estimate_reports),
        "",
    ]
    return "\n".join(lines)


def write_proposal(
    proposal: UpgradeProposal, directory: Path, zone: dt.tzinfo
) -> tuple[Path, Path]:
    """``<project>-php<from>-to-<to>.md`` and ``.json`` in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"{proposal.project}-php{proposal.from_line}-to-{proposal.to_line}-proposal"
    markdown, data = directory / f"{stem}.md", directory / f"{stem}.json"
    write_atomic(markdown, render_markdown(proposal, zone), mode=0o644)
    text = json.dumps(proposal.to_dict(), indent=2, ensure_ascii=False) + "\n"
    write_atomic(data, text, mode=0o644)
    return markdown, data
