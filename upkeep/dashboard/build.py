"""``upkeep dashboard build``: the fleet status and each project's records, as a static site.

Nothing is reached but local records (and the hosts, for drift, when asked):
the fleet status rows (upkeep.fleet.status), the runs in the state store, the
monitoring history and the report files. Two builds of the same records as of
the same moment write the same bytes.

    >>> build_site(ws, projects, sources, Path("site"), now)   # doctest: +SKIP
    Written(directory=PosixPath('site'), files=7, changed=7, removed=0)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from pathlib import Path

from upkeep.dashboard.model import fleet_page, project_page
from upkeep.dashboard.records import RUNS_SHOWN, project_records
from upkeep.dashboard.site import Written, render_site, write_site
from upkeep.fleet.status import Drift, Sources, fleet_status
from upkeep.inventory import Project
from upkeep.monitor.history import History
from upkeep.state import open_store
from upkeep.workspace import Workspace


def build_site(
    workspace: Workspace,
    projects: Sequence[Project],
    sources: Sources,
    output: Path,
    now: dt.datetime,
    *,
    drift: Drift | None = None,
    others: Collection[str] = (),
) -> Written:
    """The dashboard of ``projects`` as of ``now``, written to ``output``; ``others``: every
    project of the workspace (a report named demo-shop-… is not demo's)."""
    status = fleet_status(projects, sources, now, drift)
    history = History(sources.history) if sources.history else None
    try:
        with open_store() as store:
            pages = [
                project_page(
                    status,
                    project_records(
                        project,
                        store.runs(project=project.name, limit=RUNS_SHOWN),
                        history,
                        workspace.reports,
                        now,
                        others,
                    ),
                    now,
                )
                for project in sorted(projects, key=lambda project: project.name)
            ]
    finally:
        if history is not None:
            history.close()
    return write_site(output, render_site(fleet_page(status, now), pages))
