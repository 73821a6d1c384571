"""``upkeep rollback``: put the previous good release back on every host of an environment.

Quick on purpose: it is what an operator reaches for when a release
misbehaves. Like every run that changes an environment it holds the
environment's lock, so it never lands in the middle of a deploy or an
update. The current release is marked BAD_RELEASE, `current` switches back
atomically, and the pin follows with a commit saying why.

    >>> pipeline().names()
    ['environment', 'lock', 'roll back', 'pin']
    >>> result = rollback(workspace, project, pins, "staging")   # doctest: +SKIP
    >>> result.to_release                                         # doctest: +SKIP
    '20261123120000'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from tasks.facts import ReleaseInfo, ReleaseState
from tasks.release import previous_release, release_rolled_back
from upkeep.envlocks import environment_lock
from upkeep.errors import RunFailed, UsageError
from upkeep.inventory import Environment, Project
from upkeep.inventory.pins import Pins, write_pins
from upkeep.layout import SiteLayout
from upkeep.locks import Lock
from upkeep.pipeline import Pipeline, Step
from upkeep.runner import Runner, Target
from upkeep.workspace import Workspace

Say = Callable[[str], None]


def pipeline() -> Pipeline[_Rollback]:
    """rollback as the list of its steps."""
    return Pipeline(
        "rollback",
        checks=(Step("environment", _environment),),
        steps=(Step("roll back", _roll_back), Step("pin", _record_pin)),
        locked=True,
    )


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


@dataclass
class _Rollback:
    """What the steps share while they run."""

    workspace: Workspace
    project: Project
    pins: Pins
    environment_name: str
    say: Say
    environment: Environment = field(init=False)
    directory: str = ""
    current: str = ""
    previous: str = ""
    commit: str = ""
    pins_commit: str | None = None


def rollback(
    workspace: Workspace,
    project: Project,
    pins: Pins,
    environment_name: str,
    say: Say = lambda _: None,
) -> RollbackResult:
    run = _Rollback(workspace, project, pins, environment_name, say)
    job = pipeline()
    job.run(run, job.start(project.name), locks=lambda: [_lock(run)], say=say, raising=True)
    return RollbackResult(
        project.name, environment_name, run.current, run.previous, run.commit, run.pins_commit
    )


def _environment(run: _Rollback) -> str:
    run.environment = run.project.environment(run.environment_name)  # unknown: a UsageError
    run.directory = SiteLayout.of(run.project.name, run.environment_name).base_dir
    return f"{len(run.environment.hosts)} hosts, {run.directory}"


def _lock(run: _Rollback) -> Lock:
    return environment_lock(
        run.project.name, run.environment, f"rollback {run.project.name} {run.environment_name}"
    )


def _roll_back(run: _Rollback) -> str:
    """Every host agrees on the release before and after; `current` switches back on each."""
    targets = [Target(run.environment_name, host) for host in run.environment.hosts]
    with Runner(targets, progress=run.say) as runner:
        infos: dict[str, ReleaseInfo] = runner.facts(ReleaseState, base_dir=run.directory)
        run.current, run.previous, run.commit = _agreed_previous(infos, run.environment_name)
        result = runner.run_op(release_rolled_back, name="Roll back", base_dir=run.directory)
    if not result.ok:
        failed = result.failed[0]
        raise RunFailed(f"rollback failed on {failed.host}: {failed.output[-300:]}")
    return f"release {run.current} -> {run.previous}"


def _record_pin(run: _Rollback) -> str:
    run.pins_commit = write_pins(
        run.workspace,
        run.pins.with_env(run.environment_name, ref=run.commit),
        f"Rollback of {run.project.name} {run.environment_name} from release {run.current} "
        f"to {run.previous}.",
    )
    return f"committed {run.pins_commit[:10]}" if run.pins_commit else "unchanged"


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
