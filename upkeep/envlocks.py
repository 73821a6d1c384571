"""Every run that changes an environment holds that environment's lock.

One lock per site (project and environment), kept on the environment's first
host, so runs from any machine see it: provision, deploy, rollback, refresh
(its target), update (each environment it touches) and ``dev up`` take it.
Within one process the locks are re-entrant, so an update that refreshes
staging and provisions it holds staging's lock once, for the whole run.
Several locks are always taken in the inventory's order (dev, staging,
production), so two runs never wait for each other in a circle.

    >>> lock_dir("demo", "staging").endswith("/locks/demo-staging")
    True
"""

from __future__ import annotations

from collections.abc import Sequence

from upkeep.inventory import Environment, Project
from upkeep.layout import SiteLayout
from upkeep.locks import Lock
from upkeep.ssh import run_root

# A lock's scripts are tiny; the heartbeat must not hang on a stalled ssh for long.
LOCK_SCRIPT_TIMEOUT = 120


def lock_dir(project_name: str, environment_name: str) -> str:
    return SiteLayout.of(project_name, environment_name).lock_dir


def environment_lock(project_name: str, environment: Environment, purpose: str) -> Lock:
    """The lock of ``environment``, on its first host, for a run doing ``purpose``."""
    host = environment.hosts[0]
    return Lock(
        lock_dir(project_name, str(environment.name)),
        purpose,
        lambda script: run_root(host, script, timeout=LOCK_SCRIPT_TIMEOUT),
        where=f"{host.address}:{host.port}",
    )


def environment_locks(project: Project, names: Sequence[str], purpose: str) -> list[Lock]:
    """The locks of the named environments, in the inventory's order."""
    wanted = set(names)
    return [
        environment_lock(project.name, environment, purpose)
        for name, environment in project.environments.items()
        if name in wanted
    ]
