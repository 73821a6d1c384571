"""What an estimate's report says about itself: whose, what, when, made by which upkeep.

The estimate is upkeep.estimate.model's value; upkeep.reports.estimate renders both.

    >>> ReportHeader("shop", "PHP 7.4 → 8.2 upgrade estimate for shop").date is None
    True
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

import upkeep
from upkeep.estimate.model import Estimate


@dataclass(frozen=True)
class ReportHeader:
    """What a client's copy says about itself. Without a date, none is printed."""

    project: str
    title: str
    date: str | None = None  # ISO date the report was made
    upkeep_version: str = upkeep.__version__

    @classmethod
    def of(cls, estimate: Estimate) -> ReportHeader:
        """The header an estimate implies: its project (or source), no date."""
        project = estimate.project or estimate.source
        title = f"PHP {estimate.from_line} → {estimate.to_line} upgrade estimate for {project}"
        return cls(project, title)


def today() -> str:
    """Today, or the date reproducible builds fix with SOURCE_DATE_EPOCH."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date().isoformat()
    return dt.date.today().isoformat()
