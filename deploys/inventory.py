"""A pyinfra inventory of an upkeep project, for the plain pyinfra CLI.

    UPKEEP_PROJECT=demo pyinfra deploys/inventory.py deploys/site.py --limit staging

Groups are the environments (dev, staging, production); each host carries the
same SSH settings upkeep's runner uses (its key and known_hosts, strictly).
"""

from __future__ import annotations

import os

from upkeep.inventory import load_project
from upkeep.runner import Target, pyinfra_host_data
from upkeep.workspace import find_workspace

_project = load_project(find_workspace(), os.environ.get("UPKEEP_PROJECT", "demo"))


def _group(environment: str) -> list[tuple[str, dict[str, object]]]:
    if environment not in _project.environments:
        return []
    return [
        (
            host.name,
            {**pyinfra_host_data(Target(environment, host)), "upkeep_project": _project.name},
        )
        for host in _project.environment(environment).hosts
    ]


dev = _group("dev")
staging = _group("staging")
production = _group("production")
