"""What the warranty looks at, read from the records upkeep keeps (no host is reached).

>>> observe_monitoring(None, "demo", dt.datetime(2026, 12, 6, tzinfo=dt.UTC))
Monitoring(last=None, count=0, source='')
"""

from __future__ import annotations

import datetime as dt

from upkeep.care.warranty import MONITORING_WINDOW, WATCHED_ENVIRONMENT, Monitoring
from upkeep.monitor.history import History


def observe_monitoring(history: History | None, project: str, now: dt.datetime) -> Monitoring:
    """Production's results in the day before ``now`` that watched the site (an UNKNOWN,
    "could not check", watched nothing), from ``history`` (None: none kept)."""
    if history is None:
        return Monitoring(None, 0)
    end = now + dt.timedelta(microseconds=1)  # a result recorded at ``now`` counts
    watched = history.watched(project, WATCHED_ENVIRONMENT, now - MONITORING_WINDOW, end)
    return Monitoring(watched[-1] if watched else None, len(watched), f"history {history.path}")
