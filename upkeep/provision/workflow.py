"""``upkeep provision``: a pipeline of named steps over one or more environments.

Every step is idempotent: a second run changes nothing on the hosts and
commits nothing. Hosts of all chosen environments run in parallel, each with
its own environment's desired state. With ``deploy_ref`` it is a deploy: the
same steps, the code moved to that ref.

    >>> [*pipeline().names()]
    ['check', 'lock', 'php builds', 'plan', 'apply', 'pins']
    >>> result = provision(workspace, project, pins, ["staging"])   # doctest: +SKIP
    >>> result.run.changed                                           # doctest: +SKIP
    0
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pyinfra import host
from pyinfra.facts.deb import DebPackages
from pyinfra.operations import apt

from deploys.site import site
from tasks.base import SERVES_OTHERS_ONLY
from tasks.facts import PhpCandidates
from upkeep.desired import SiteState
from upkeep.envlocks import environment_locks
from upkeep.errors import RunFailed, UsageError
from upkeep.inventory import Host, Project
from upkeep.inventory.pins import Pins, write_pins
from upkeep.locks import Lock
from upkeep.pipeline import Pipeline, Step
from upkeep.progress import Tick
from upkeep.provision import plan
from upkeep.provision.insync import HostCheck, check_hosts
from upkeep.runner import Runner, RunResult, Target
from upkeep.ssh import run_root
from upkeep.update import changelog
from upkeep.versions import InvalidBuild, PhpBuild, newest
from upkeep.workspace import Workspace

Say = Callable[[str], None]


def pipeline() -> Pipeline[_Provision]:
    """provision (and deploy) as the list of its steps; the check changes nothing."""
    return Pipeline(
        "provision",
        checks=(Step("check", _check),),
        steps=(
            Step("php builds", _choose_php_builds),
            Step("plan", _plan),
            Step("apply", _apply),
            Step("pins", _record_pins),
        ),
        locked=True,
    )


@dataclass(frozen=True)
class EnvironmentOutcome:
    environment: str
    php_build: str
    commit: str | None


@dataclass(frozen=True)
class ProvisionResult:
    project: str
    environments: tuple[EnvironmentOutcome, ...]
    dry_run: bool
    run: RunResult
    pins: Pins  # after the run: what a nested run goes on with
    pins_commit: str | None = None
    seconds: float = 0.0
    checks: tuple[HostCheck, ...] = ()  # hosts checked before the run (none with ``full``)

    @property
    def ok(self) -> bool:
        return self.run.ok

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "dry_run": self.dry_run,
            "ok": self.ok,
            "environments": [
                {"environment": e.environment, "php_build": e.php_build, "commit": e.commit}
                for e in self.environments
            ],
            "pins_commit": self.pins_commit,
            "seconds": round(self.seconds, 2),
            "checks": [check.to_dict() for check in self.checks],
            **self.run.to_dict(),
        }


@dataclass
class _Provision:
    """What the steps share while they run."""

    workspace: Workspace
    project: Project
    pins: Pins
    environment_names: Sequence[str]
    dry_run: bool
    php_choice: str | None
    say: Say
    tick: Tick
    deploy_ref: str | None = None
    allow_downgrade: bool = False
    targets: list[Target] = field(default_factory=list)
    php_builds: dict[str, str] = field(default_factory=dict)
    states: dict[str, SiteState] = field(default_factory=dict)
    run: RunResult | None = None
    pins_commit: str | None = None
    full: bool = False  # every host through the full run, the in-sync check skipped
    checks: dict[str, HostCheck] = field(default_factory=dict)


def provision(
    workspace: Workspace,
    project: Project,
    pins: Pins,
    environment_names: Sequence[str],
    *,
    dry_run: bool = False,
    php_build: str | None = None,
    deploy_ref: str | None = None,
    allow_downgrade: bool = False,
    full: bool = False,
    say: Say = lambda _: None,
    tick: Tick = lambda _: None,
) -> ProvisionResult:
    """Provision; with ``deploy_ref``, also move the environments to that code (a deploy).

    ``php_build`` (a first provision only): a build, ``newest``, ``oldest`` or
    ``installed`` (adopt what the hosts run). A host already running a newer
    build than the one chosen keeps it unless ``allow_downgrade``. A host already in
    sync is checked, not run (upkeep.provision.insync); ``full`` runs every host.
    """
    started = time.monotonic()
    run = _Provision(
        workspace,
        project,
        pins,
        environment_names,
        dry_run,
        php_build,
        say,
        tick,
        deploy_ref,
        allow_downgrade,
        full=full,
    )
    job = pipeline()
    job.run(run, job.start(project.name), locks=lambda: _locks(run), say=say, raising=True)
    assert run.run is not None
    return ProvisionResult(
        project=project.name,
        environments=tuple(
            EnvironmentOutcome(
                name, run.php_builds[name], state.release.commit if state.release else None
            )
            for name, state in run.states.items()
        ),
        dry_run=dry_run,
        run=run.run,
        pins=run.pins,
        pins_commit=run.pins_commit,
        seconds=time.monotonic() - started,
        checks=tuple(run.checks.values()),
    )


def _check(run: _Provision) -> str:
    """Each environment named once, in the order given; an unknown one, or pins that already
    disagree on a shared host, refused before any lock."""
    names = list(dict.fromkeys(run.environment_names))
    for name in names:
        run.project.environment(name)  # a UsageError for an unknown one
    run.environment_names = names
    run.targets = [
        Target(name, host) for name in names for host in run.project.environment(name).hosts
    ]
    _one_build_per_host(run)
    return f"{', '.join(names)}: {len(run.targets)} hosts"


def _locks(run: _Provision) -> list[Lock]:
    """Each environment's lock while it changes (a dry run changes nothing: no lock)."""
    if run.dry_run:
        return []
    verb = "deploy" if run.deploy_ref else "provision"
    purpose = f"{verb} {run.project.name} {' '.join(run.environment_names)}"
    return environment_locks(run.project, run.environment_names, purpose)


def _one_build_per_host(run: _Provision) -> None:
    """Environments on one host share its PHP build: never move it under another's pin."""
    pins: dict[str, str | None] = {
        str(name): run.pins.get(name).php_build for name in run.project.environments
    }
    pins.update(run.php_builds)
    for name in run.environment_names:
        for other in map(str, run.project.environments):
            shared = run.project.shared_addresses(name, other)
            if other == name or not shared or not pins[other] or pins[other] == pins[name]:
                continue
            raise UsageError(
                f"{name} and {other} share host {', '.join(shared)} but pin different PHP "
                f"builds ({pins[name]} and {pins[other]}); a host has one build: align the "
                f"pins with `upkeep update minor {run.project.name} --shared-host`"
            )


def _choose_php_builds(run: _Provision) -> str:
    """The pinned build; on a first provision, one the hosts' package sources offer."""
    unpinned = []
    for name in run.environment_names:
        pinned = run.pins.get(name).php_build
        explicit = run.php_choice not in (None, "newest", "oldest", "installed")
        if pinned and explicit and run.php_choice != pinned:
            raise UsageError(
                f"{run.project.name} {name} is pinned at PHP {pinned}; "
                "move it with `upkeep update minor`, not --php-build"
            )
        if pinned:
            run.php_builds[name] = pinned
        else:
            unpinned.append(name)
    if unpinned:
        _first_builds(run, unpinned)
    _one_build_per_host(run)  # a first provision's choice too
    return ", ".join(f"{name} {build}" for name, build in run.php_builds.items())


def _first_builds(run: _Provision, unpinned: list[str]) -> None:
    """A first provision: a build the hosts' package sources offer (or the one they run)."""
    targets = [t for t in run.targets if t.environment in unpinned]
    line = run.project.php.line
    with Runner(targets, progress=run.tick) as runner:
        running = _builds_running(runner, line)
        if not run.dry_run:
            runner.run_op(apt.update, name="Refresh package lists", cache_time=3600)
        offered = _builds_offered(runner, line)
    for name in unpinned:
        hosts = {h.name: running.get(h.name) for h in run.project.environment(name).hosts}
        if run.php_choice == "installed":
            chosen = _adopted(hosts, line, name)
        else:
            chosen = _pick(offered, line, run.php_choice or "newest", name, run.dry_run)
            if not run.allow_downgrade:
                _never_backwards(run, name, chosen, hosts)
        run.php_builds[name] = chosen.text
        run.say(f"{name}: first provision pins PHP {chosen.text}")


def _builds_running(runner: Runner, line: str) -> dict[str, PhpBuild | None]:
    """The php<line>-fpm build each host runs now (None: not installed, or not ours to read)."""
    running: dict[str, PhpBuild | None] = {}
    for host_name, installed in runner.facts(DebPackages).items():
        versions = sorted(installed.get(f"php{line}-fpm") or ())
        try:
            running[host_name] = PhpBuild.parse(versions[-1]) if versions else None
        except InvalidBuild:
            running[host_name] = None
    return running


def _adopted(hosts: dict[str, PhpBuild | None], line: str, env: str) -> PhpBuild:
    """``--php-build installed``: the one build every host of ``env`` runs."""
    builds = {build.text for build in hosts.values() if build is not None}
    if len(builds) != 1 or None in hosts.values():
        seen = ", ".join(f"{h}: {b.text if b else 'none'}" for h, b in sorted(hosts.items()))
        raise UsageError(
            f"--php-build installed: the hosts of {env} do not run one php{line}-fpm build "
            f"({seen}); name the build to pin instead"
        )
    return PhpBuild.parse(builds.pop())


def _never_backwards(
    run: _Provision, env: str, chosen: PhpBuild, hosts: dict[str, PhpBuild | None]
) -> None:
    """A first provision never undoes security fixes a running server already has."""
    newer = {h: b for h, b in hosts.items() if b is not None and b > chosen}
    if not newer:
        return
    host_name, build = max(newer.items(), key=lambda item: item[1])
    host = next(h for h in run.project.environment(env).hosts if h.name == host_name)
    lost = _fixes_between(host, run.project.php.line, chosen, build)
    raise UsageError(
        f"{env}: {host_name} runs PHP {build.text}, newer than the {chosen.text} asked for; "
        f"going back would undo {lost}. Keep what runs with --php-build installed, or pass "
        "--allow-downgrade to go back anyway"
    )


def _fixes_between(host: Host, line: str, low: PhpBuild, high: PhpBuild) -> str:
    """The security fixes of the builds in (low, high], from the running build's changelog."""
    package = f"php{line}-common"
    code, text = run_root(host, f"zcat /usr/share/doc/{package}/changelog.Debian.gz", timeout=60)
    entries = changelog.between(changelog.parse(text), low.text, high.text) if code == 0 else []
    if not entries:
        return f"the fixes of the releases after {low.text}"
    cves = [cve for entry in entries for cve in entry.cves]
    shown = ", ".join(cves[:6]) + (f" and {len(cves) - 6} more" if len(cves) > 6 else "")
    releases = f"{len(entries)} release{'s' if len(entries) != 1 else ''}"
    return f"{releases} of fixes ({shown})" if cves else f"{releases} of fixes"


def _builds_offered(runner: Runner, line: str) -> list[PhpBuild]:
    """Builds of the line that every host offers."""
    per_host = runner.facts(PhpCandidates, line=line)
    common: set[str] | None = None
    for versions in per_host.values():
        common = set(versions) if common is None else common & set(versions)
    builds = []
    for text in sorted(common or ()):
        try:
            builds.append(PhpBuild.parse(text))
        except InvalidBuild:
            continue  # a naming scheme we do not pin (e.g. a third-party repository's)
    return [b for b in builds if b.line == line]


def _pick(offered: list[PhpBuild], line: str, choice: str, env: str, dry_run: bool) -> PhpBuild:
    if not offered:
        hint = " yet (empty package lists: provision once without --dry-run)" if dry_run else ""
        raise UsageError(f"the hosts of {env} offer no php{line}-fpm build{hint}")
    if choice == "newest":
        chosen = newest(offered, line)
    elif choice == "oldest":
        chosen = min(offered)
    else:
        chosen = next((b for b in offered if b.text == choice), None)
    if chosen is None:
        available = ", ".join(b.text for b in offered)
        raise UsageError(
            f"--php-build {choice}: not offered by the hosts (they offer: {available})"
        )
    return chosen


def _plan(run: _Provision) -> str:
    for name in run.environment_names:
        environment = run.project.environment(name)
        release = plan.release_for(
            run.project, environment, run.pins.get(name), run.workspace, run.deploy_ref
        )
        run.states[name] = plan.site_state(
            run.project, environment, php_build=run.php_builds[name], release=release
        )
        run.say(f"{name}: code {release.commit[:10]}, PHP {run.php_builds[name]}")
    return f"the desired state of {', '.join(run.states)}"


def _apply(run: _Provision) -> str:
    urls = {name: plan.site_url(run.project.environment(name)) for name in run.states}

    def each_host_its_site() -> None:
        environment = host.data.upkeep_environment
        site(run.states[environment], urls[environment])  # type: ignore[call-arg, arg-type]

    # A first provision has nothing to find in sync: straight to the full run.
    checked = [t for t in run.targets if run.pins.get(t.environment).php_build]
    if checked and not run.full:
        with Runner(checked, progress=run.tick) as checker:
            run.checks = check_hosts(checker, each_host_its_site, serving_others=SERVES_OTHERS_ONLY)
    targets = [t for t in run.targets if not _in_sync(run, t.name)]
    in_sync = [op for c in run.checks.values() for op in c.results(dry_run=run.dry_run)]
    if targets:
        with Runner(targets, progress=run.tick) as runner:
            ran = runner.run_deploy(each_host_its_site, dry_run=run.dry_run)
        run.run = replace(ran, ops=ran.ops + tuple(in_sync))
    else:
        run.run = RunResult(ops=tuple(in_sync))
    synced = f"; {len(run.targets) - len(targets)} of {len(run.targets)} hosts in sync"
    if run.dry_run:
        changing = sum(bool(op.will_change) for op in run.run.ops)
        return f"{changing} of {len(run.run.ops)} operations would change (dry run){synced}"
    return f"{run.run.changed} of {len(run.run.ops)} operations changed{synced}"


def _in_sync(run: _Provision, host_name: str) -> bool:
    check = run.checks.get(host_name)
    return check is not None and check.in_sync


def _record_pins(run: _Provision) -> str:
    """Pins follow what is now live; only after a successful, real run."""
    assert run.run is not None
    if run.dry_run:
        return "dry run: pins as they were"
    if not run.run.ok:
        failed = run.run.failed[0] if run.run.failed else None
        detail = (
            f"{failed.host}: {failed.operation}: {failed.output[-500:]}"
            if failed
            else "hosts unreachable"
        )
        raise RunFailed(f"provision of {run.project.name} failed — {detail}")
    pins = run.pins
    first = []
    for name, state in run.states.items():
        if not run.pins.get(name).php_build:
            first.append(name)
        commit = state.release.commit if state.release else None
        pins = pins.with_env(name, php_build=run.php_builds[name], ref=commit)
    envs = ", ".join(run.states)
    if run.deploy_ref:
        reason = f"Deploy of {run.deploy_ref} to {run.project.name} {envs}."
    elif first:
        reason = (
            f"First provision of {run.project.name} {', '.join(first)}: pin what was installed."
        )
    else:
        reason = f"Provision of {run.project.name} {envs}."
    run.pins_commit = write_pins(run.workspace, pins, reason)
    run.pins = pins
    return f"committed {run.pins_commit[:10]}" if run.pins_commit else "unchanged"
