"""``upkeep propose``'s workflow: per project, the lines offered → the decision → the
estimate → the proposal written beside it.

    offered lines → decide → estimate (reports/estimate/) → proposal (reports/proposals/)

The offered lines come from production's package source (``apt-cache`` on the
host, as ``upkeep update minor --check`` reads them) unless given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from upkeep.care.proposals import (
    MajorDecision,
    UpgradeProposal,
    decide_major,
    proposal_for,
    write_proposal,
)
from upkeep.care.warranty import zone_of
from upkeep.inventory import Project
from upkeep.workspace import Workspace

# (the project's production line, the lines its package source offers)
Offered = Callable[[Project], tuple[str, Sequence[str]]]
# The scoped estimate to a line, and the report files it wrote.
Estimator = Callable[[Project, str], tuple[Any, Sequence[Path]]]


@dataclass(frozen=True)
class Proposed:
    """What ``propose`` did for one project: its decision, and the proposal when made."""

    project: str
    decision: MajorDecision
    proposal: UpgradeProposal | None = None
    written: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "to_line": self.decision.to_line,
            "why": self.decision.why,
            "proposal": self.proposal.to_dict() if self.proposal else None,
            "written": list(self.written),
        }


def propose(
    project: Project, offered: Offered, estimator: Estimator, output: Path, now: dt.datetime
) -> Proposed:
    """Decide for ``project``; when a major is proposed, estimate it and write the proposal."""
    line, lines = offered(project)
    decision = decide_major(project.care, line, lines)
    if decision.to_line is None:
        return Proposed(project.name, decision)
    estimate, reports = estimator(project, decision.to_line)
    proposal = proposal_for(project, decision, line, estimate, reports, now)
    written = write_proposal(proposal, output, zone_of(project))
    return Proposed(project.name, decision, proposal, tuple(str(path) for path in written))


def default_output(workspace: Workspace) -> Path:
    return workspace.reports / "proposals"
