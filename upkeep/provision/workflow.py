"""``upkeep provision``: a pipeline of named steps for one environment.

load → choose the PHP build → plan (code, certificate, secrets) → apply the
site deploy → record the pins. Every step is idempotent: a second run changes
nothing on the hosts and commits nothing.

    >>> result = provision(workspace, "demo", "staging")   # doctest: +SKIP
    >>> result.run.changed                                  # doctest: +SKIP
    0
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pyinfra.operations import apt

from deploys.site import site
from tasks.facts import PhpCandidates
from upkeep.desired import SiteState
from upkeep.errors import RunFailed, UsageError
from upkeep.inventory import Environment, Project, load_project
from upkeep.inventory.pins import EnvPin, Pins, load_pins, write_pins
from upkeep.provision import plan
from upkeep.runner import Runner, RunResult, Target
from upkeep.versions import InvalidBuild, PhpBuild, newest
from upkeep.workspace import Workspace

Say = Callable[[str], None]


@dataclass(frozen=True)
class ProvisionResult:
    project: str
    environment: str
    php_build: str
    commit: str | None
    dry_run: bool
    run: RunResult
    pins_commit: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.run.ok

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "environment": self.environment,
            "dry_run": self.dry_run,
            "ok": self.ok,
            "php_build": self.php_build,
            "commit": self.commit,
            "pins_commit": self.pins_commit,
            "seconds": round(self.seconds, 2),
            **self.run.to_dict(),
        }


@dataclass
class _Provision:
    """What the steps share while they run."""

    workspace: Workspace
    project_name: str
    environment_name: str
    dry_run: bool
    php_choice: str | None
    say: Say
    project: Project = field(init=False)
    environment: Environment = field(init=False)
    pins: Pins = field(init=False)
    pin: EnvPin = field(init=False)
    targets: list[Target] = field(default_factory=list)
    php_build: str = ""
    state: SiteState | None = None
    run: RunResult | None = None
    pins_commit: str | None = None


def provision(
    workspace: Workspace,
    project_name: str,
    environment_name: str,
    *,
    dry_run: bool = False,
    php_build: str | None = None,
    say: Say = lambda _: None,
) -> ProvisionResult:
    started = time.monotonic()
    run = _Provision(workspace, project_name, environment_name, dry_run, php_build, say)
    _load(run)
    run.targets = [Target(environment_name, host) for host in run.environment.hosts]
    for step in (_choose_php_build, _plan, _apply, _record_pins):
        step(run)
    assert run.run is not None and run.state is not None
    release = run.state.release
    return ProvisionResult(
        project=project_name,
        environment=environment_name,
        php_build=run.php_build,
        commit=release.commit if release else None,
        dry_run=dry_run,
        run=run.run,
        pins_commit=run.pins_commit,
        seconds=time.monotonic() - started,
    )


def _load(run: _Provision) -> None:
    run.project = load_project(run.workspace, run.project_name)
    run.environment = run.project.environment(run.environment_name)
    run.pins = load_pins(run.workspace, run.project.name)
    run.pin = run.pins.get(run.environment_name)


def _choose_php_build(run: _Provision) -> None:
    """The pinned build; on a first provision, one the host's package sources offer."""
    line = run.project.php.line
    if run.pin.php_build:
        if run.php_choice and run.php_choice != run.pin.php_build:
            raise UsageError(
                f"{run.project.name} {run.environment_name} is pinned at PHP {run.pin.php_build}; "
                "move it with `upkeep update minor`, not --php-build"
            )
        run.php_build = run.pin.php_build
        return
    with Runner(run.targets, progress=run.say) as runner:
        if not run.dry_run:
            runner.run_op(apt.update, name="Refresh package lists", cache_time=3600)
        offered = _builds_offered(runner, line)
    if not offered:
        raise UsageError(
            f"the hosts of {run.environment_name} offer no php{line}-fpm build"
            + (
                " yet (their package lists are empty: provision once without --dry-run)"
                if run.dry_run
                else ""
            )
        )
    choice = run.php_choice or "newest"
    if choice == "newest":
        chosen = newest(offered, line)
    elif choice == "oldest":
        chosen = min(b for b in offered if b.line == line)
    else:
        chosen = next((b for b in offered if b.text == choice), None)
        if chosen is None:
            available = ", ".join(b.text for b in offered)
            raise UsageError(
                f"--php-build {choice}: not offered by the hosts (they offer: {available})"
            )
    assert chosen is not None
    run.php_build = chosen.text
    run.say(
        f"PHP {line}: first provision picks {chosen.text} (offered: {', '.join(b.text for b in offered)})"
    )


def _builds_offered(runner: Runner, line: str) -> list[PhpBuild]:
    """Builds every host of the environment offers (they must agree on one)."""
    per_host = runner.facts(PhpCandidates, line=line)
    common: set[str] | None = None
    for versions in per_host.values():
        common = set(versions) if common is None else common & set(versions)
    builds = []
    for text in sorted(common or ()):
        try:
            builds.append(PhpBuild.parse(text))
        except InvalidBuild:
            continue  # a build naming scheme we do not pin (e.g. a third-party repository's)
    return [b for b in builds if b.line == line]


def _plan(run: _Provision) -> None:
    release = plan.release_for(run.project, run.environment, run.pin, run.workspace)
    run.state = plan.site_state(
        run.project, run.environment, php_build=run.php_build, release=release
    )
    run.say(f"release: {release.ref} at {release.commit[:10]}; PHP {run.php_build}")


def _apply(run: _Provision) -> None:
    assert run.state is not None
    with Runner(run.targets, progress=run.say) as runner:
        run.run = runner.run_deploy(
            site, run.state, plan.site_url(run.environment), dry_run=run.dry_run
        )


def _record_pins(run: _Provision) -> None:
    """Pins follow what is now live; only after a successful, real run."""
    assert run.run is not None and run.state is not None
    if run.dry_run:
        return
    if not run.run.ok:
        failed = run.run.failed[0] if run.run.failed else None
        detail = (
            f"{failed.host}: {failed.operation}: {failed.output[-500:]}"
            if failed
            else "hosts unreachable"
        )
        raise RunFailed(f"provision of {run.project.name} {run.environment_name} failed — {detail}")
    commit = run.state.release.commit if run.state.release else None
    pins = run.pins.with_env(run.environment_name, php_build=run.php_build, ref=commit)
    first = not run.pin.php_build
    reason = (
        f"First provision of {run.project.name} {run.environment_name}: pin what was installed."
        if first
        else f"Provision of {run.project.name} {run.environment_name}."
    )
    run.pins_commit = write_pins(run.workspace, pins, reason)
