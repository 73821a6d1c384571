"""What the warranty looks at, read from the records upkeep keeps; hosts only for drift,
and only when a ``drift`` function is given.

    >>> observe_monitoring(None, "demo", dt.datetime(2026, 12, 6, tzinfo=dt.UTC))
    Monitoring(last=None, count=0, source='')
    >>> warranties([], None, dt.datetime(2026, 12, 6, tzinfo=dt.UTC))
    ()
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

from upkeep.care.warranty import (
    MONITORING_WINDOW,
    WATCHED_ENVIRONMENT,
    Monitoring,
    Warranty,
    warranty_of,
)
from upkeep.drift.compare import DriftReport
from upkeep.inventory import Project
from upkeep.monitor.history import History
from upkeep.state import Location


def observe_monitoring(history: History | None, project: str, now: dt.datetime) -> Monitoring:
    """Production's results in the day before ``now`` that watched the site (an UNKNOWN,
    "could not check", watched nothing), from ``history`` (None: none kept)."""
    if history is None or not history.kept():
        return Monitoring(None, 0)
    end = now + dt.timedelta(microseconds=1)  # a result recorded at ``now`` counts
    watched = history.watched(project, WATCHED_ENVIRONMENT, now - MONITORING_WINDOW, end)
    return Monitoring(watched[-1] if watched else None, len(watched), f"history {history.where}")


def warranties(
    projects: Sequence[Project],
    history_path: Path | Location | None,
    now: dt.datetime,
    drift: Callable[[Project], DriftReport] | None = None,
) -> tuple[Warranty, ...]:
    """Each project's warranty at ``now``, sorted by name, from the monitoring history at
    ``history_path`` (a file, the state store's Location; None: none kept) and, when given, ``drift`` read live."""
    history = History(history_path) if history_path is not None else None
    try:
        return tuple(
            warranty_of(
                project,
                now,
                observe_monitoring(history, project.name, now),
                drift(project) if drift else None,
            )
            for project in sorted(projects, key=lambda p: p.name)
        )
    finally:
        if history is not None:
            history.close()
