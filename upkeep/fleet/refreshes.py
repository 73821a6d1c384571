"""The last refresh of an environment, from the refresh reports upkeep wrote under reports/refresh/.

Each refresh leaves ``<project>-<target>-<YYYYmmddTHHMMSSZ>.json``
(upkeep.reports.refresh); the newest one naming the project and target is the last refresh.

    >>> from pathlib import Path
    >>> last_refresh(Path("/nonexistent"), "demo", "staging") is None
    True
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

_STAMP = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class LastRefresh:
    ok: bool
    at: dt.datetime  # when its report was written (UTC)
    error: str | None
    report: Path  # where this came from


def last_refresh(directory: Path, project: str, target: str) -> LastRefresh | None:
    """The newest refresh report of ``project`` into ``target`` in ``directory``; None if none."""
    return max(refreshes(directory, project, target), key=lambda refresh: refresh.at, default=None)


def refreshes(directory: Path, project: str, target: str) -> list[LastRefresh]:
    """Every refresh report of ``project`` into ``target`` in ``directory``, oldest first."""
    found: list[LastRefresh] = []
    for path in directory.glob(f"{project}-{target}-*.json"):
        stamp = path.stem.rsplit("-", 1)[-1]
        try:
            at = dt.datetime.strptime(stamp, _STAMP).replace(tzinfo=dt.UTC)
            data = json.loads(path.read_text())
        except (ValueError, OSError):
            continue  # not one of ours (or half-written): it says nothing about a refresh
        if isinstance(data, dict) and (data.get("project"), data.get("target")) == (
            project,
            target,
        ):
            found.append(LastRefresh(bool(data.get("ok")), at, data.get("error"), path))
    return sorted(found, key=lambda refresh: refresh.at)
