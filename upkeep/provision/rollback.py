"""``upkeep rollback``: put the previous good release back on every host of an environment.

Quick on purpose: it is what an operator reaches for when a release
misbehaves. Like every run that changes an environment it holds the
environment's lock, so it never lands in the middle of a deploy or an
update. The current release is marked BAD_RELEASE, `current` switches back
atomically, and the pin follows with a commit saying why.

    >>> result = rollback(workspace, "demo", "staging")   # doctest: +SKIP
    >>> result.to_release                                  # doctest: +SKIP
    '20261123120000'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from tasks.facts import ReleaseInfo, ReleaseState
from tasks.release import previous_release, release_rolled_back
from upkeep.envlocks import environment_lock
from upkeep.errors import RunFailed, UsageError
from upkeep.inventory import load_project
from upkeep.inventory.pins import load_pins, write_pins
from upkeep.layout import SiteLayout
from upkeep.runner import Runner, Target
from upkeep.workspace import Workspace

Say = Callable[[str], None]


@dataclass(frozen=True)
class RollbackResult:
    project: str
    environment: str
    from_release: str
    to_release: str
    commit: str
    pins_commit: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def rollback(
    workspace: Workspace, project_name: str, environment_name: str, say: Say = lambda _: None
) -> RollbackResult:
    project = load_project(workspace, project_name)
    environment = project.environment(environment_name)
    directory = SiteLayout.of(project.name, environment_name).base_dir
    targets = [Target(environment_name, host) for host in environment.hosts]
    lock = environment_lock(
        project.name, environment, f"rollback {project.name} {environment_name}"
    )
    with lock, Runner(targets, progress=say) as runner:
        infos: dict[str, ReleaseInfo] = runner.facts(ReleaseState, base_dir=directory)
        current, previous, commit = _agreed_previous(infos, environment_name)
        result = runner.run_op(release_rolled_back, name="Roll back", base_dir=directory)
    if not result.ok:
        failed = result.failed[0]
        raise RunFailed(f"rollback failed on {failed.host}: {failed.output[-300:]}")
    pins = load_pins(workspace, project.name)
    pins_commit = write_pins(
        workspace,
        pins.with_env(environment_name, ref=commit),
        f"Rollback of {project.name} {environment_name} from release {current} to {previous}.",
    )
    return RollbackResult(project.name, environment_name, current, previous, commit, pins_commit)


def _agreed_previous(infos: dict[str, ReleaseInfo], environment: str) -> tuple[str, str, str]:
    """The (current, previous, commit) every host agrees on, or a UsageError saying why not."""
    seen = set()
    for host, info in infos.items():
        previous = previous_release(info)
        commit = info.commit_of(previous) if previous else None
        odd_current = [shown for shown in info.ignored if shown.startswith("current")]
        if odd_current:  # not ours: named (repr'd), never acted on
            raise UsageError(
                f"{host} ({environment}): `current` does not point at a release "
                f"({odd_current[0]}); deploy or provision it first"
            )
        if info.current is None or previous is None or commit is None:
            raise UsageError(f"{host} ({environment}) has no earlier good release to roll back to")
        seen.add((info.current, previous, commit))
    if len(seen) != 1:
        raise UsageError(
            f"the hosts of {environment} disagree on their releases ({len(seen)} layouts); "
            "provision them first"
        )
    return seen.pop()
