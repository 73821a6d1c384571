"""``upkeep update minor --all``: a fleet's minor update, server by server, in waves.

The plan (``upkeep.update.waves``) says which servers move in which wave.
The run is a pipeline whose steps are the waves' servers in order, a
production wave's first step waiting for its projects' maintenance windows
(``upkeep.update.windows``). Each server is a run of its own, on the pipeline
too, under the locks of every site on it:

    back up (the PHP packages as .debs; each production site's database)
    → prefetch (the new build's packages into apt's cache; nothing installed)
    → move the build (every site's pin on the server, one commit; provision
      each project there, PHP-FPM reloaded gracefully)
    → smoke-check every site on the server

A failure puts that server back (the kept packages, the pins commit reverted,
every site provisioned and smoke-checked again); the fleet run goes on until
``max_failed`` servers have failed, then halts: no later server is touched.
Both journals are saved after every step, so ``resume`` carries on from the
server that was running and ``abort`` puts that server back; servers already
done stay on their new build (each passed its own smoke checks).

    >>> report = minor_fleet(workspace, projects, pins, plan)   # doctest: +SKIP
    >>> report.state                                           # doctest: +SKIP
    <RunState.SUCCEEDED: 'succeeded'>
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from upkeep import credentials
from upkeep.envlocks import environment_lock
from upkeep.errors import RunFailed, UpkeepError, UsageError
from upkeep.inventory import Environment, Host, Project
from upkeep.inventory.maintenance import MaintenanceWindow
from upkeep.inventory.pins import Pins, load_pins, revert_pins, write_all_pins
from upkeep.layout import SiteLayout
from upkeep.locks import Lock
from upkeep.pipeline import Journal, JournalStore, Pipeline, RunState, Step, StepState
from upkeep.pipeline.journal import control_here
from upkeep.provision.workflow import provision
from upkeep.runner import Target
from upkeep.smoke import SmokeResult, smoke
from upkeep.update import backup
from upkeep.update.fleet_report import FleetReport, report_of
from upkeep.update.prefetch import prefetch, site_at
from upkeep.update.runs import store as project_store
from upkeep.update.waves import PRODUCTION, FleetPlan, ServerMove, Wave
from upkeep.update.windows import Clock, SystemClock, next_opening, wait_for_windows
from upkeep.workspace import Workspace, state_home

Say = Callable[[str], None]
Smoke = Callable[[Project, Environment, str], SmokeResult]
JOB = "update-fleet"
RUN_KEY = "run"  # the fleet run's journal; each server's is ``server-<name>``


def store() -> JournalStore:
    return JournalStore(JOB, old_files=state_home() / "updates" / "fleet")


def _real_smoke(project: Project, environment: Environment, build: str) -> SmokeResult:
    return smoke(project, environment, expect_php=build)


@dataclass
class _Fleet:
    workspace: Workspace
    projects: Mapping[str, Project]
    pins: dict[str, Pins]  # as upkeep last wrote them: each server's run passes on its own
    plan: FleetPlan
    journal: Journal
    say: Say
    smoke: Smoke
    clock: Clock
    wait: bool
    max_failed: int

    def save(self) -> None:
        store().save(self.journal, RUN_KEY)

    @property
    def failed(self) -> list[str]:
        servers = self.journal.facts.get("servers", {})
        return [name for name, seen in servers.items() if seen["state"] != str(RunState.SUCCEEDED)]

    def report(self) -> FleetReport:
        return report_of(self.journal, self.plan)


def fleet_pipeline(plan: FleetPlan) -> Pipeline[_Fleet]:
    """A step per server, waves in order; a production wave first waits for its windows."""
    steps: list[Step[_Fleet]] = []
    for wave in plan.waves:
        if wave.stage == PRODUCTION:
            steps.append(Step(wait_step(wave), _waiter(wave)))
        steps.extend(Step(server_step(move.server), _mover(move)) for move in wave.servers)
    return Pipeline(JOB, steps=tuple(steps))


def wait_step(wave: Wave) -> str:
    return f"wait-{wave.number}"


def server_step(server: str) -> str:
    return f"server-{server}"


def minor_fleet(
    workspace: Workspace,
    projects: Sequence[Project],
    pins: Mapping[str, Pins],
    plan: FleetPlan,
    *,
    say: Say = lambda _: None,
    smoke_check: Smoke = _real_smoke,
    clock: Clock | None = None,
    wait: bool = True,
    max_failed: int = 1,
    security: Sequence[str] = (),
) -> FleetReport:
    """Run ``plan``; a report whatever the outcome. Refused (UsageError, nothing changed):
    an unfinished fleet or project update, windows that never meet."""
    if max_failed < 1:
        raise UsageError(f"--max-failed-servers {max_failed}: give 1 or more")
    refuse_unfinished(projects)
    clock = clock or SystemClock()
    by_name = {p.name: p for p in projects}
    if wait:  # windows that never meet are refused now, not after staging has moved
        for wave in plan.waves:
            if wave.stage == PRODUCTION:
                next_opening(_windows(by_name, wave), clock.now())
    job = fleet_pipeline(plan)
    journal = Journal.start(JOB, "fleet", job.names())
    journal.facts.update(
        plan=plan.to_dict(), wait=wait, max_failed=max_failed, security=list(security)
    )
    run = _Fleet(
        workspace,
        by_name,
        dict(pins),
        plan,
        journal,
        say,
        smoke_check,
        clock,
        wait,
        max_failed,
    )
    job.run(run, journal, save=lambda _: run.save(), say=say, undo_interrupted=False)
    return run.report()


def status() -> Journal | None:
    return store().load(RUN_KEY)


def resume(
    workspace: Workspace,
    projects: Sequence[Project],
    *,
    say: Say = lambda _: None,
    smoke_check: Smoke = _real_smoke,
    clock: Clock | None = None,
) -> FleetReport:
    """Carry on an unfinished fleet run from the server it stopped at, with its plan."""
    run = _unfinished(workspace, projects, say, smoke_check, clock or SystemClock(), "resume")
    say(f"resuming fleet run {run.journal.run_id}: {run.journal.where()}")
    fleet_pipeline(run.plan).run(
        run, run.journal, save=lambda _: run.save(), say=say, undo_interrupted=False
    )
    return run.report()


def abort(
    workspace: Workspace,
    projects: Sequence[Project],
    *,
    say: Say = lambda _: None,
    smoke_check: Smoke = _real_smoke,
) -> FleetReport:
    """Put back the server an unfinished fleet run stopped in; servers done stay done."""
    run = _unfinished(workspace, projects, say, smoke_check, SystemClock(), "abort")
    say(f"aborting fleet run {run.journal.run_id}: {run.journal.where()}")
    running = run.journal.running_step() or next(
        (s for s in run.journal.steps if s.state is StepState.FAILED), None
    )
    move = next(
        (m for m in run.plan.servers if running and server_step(m.server) == running.name), None
    )
    if move is not None:
        inner = _server_journal(run, move)
        if inner is not None and not inner.state.finished:
            server = _ServerRun(run, move, inner)
            server_pipeline().abort(
                server, inner, "aborted by the operator", locks=server.locks, save=server.save
            )
            _note(run, move, inner)
            run.journal.undo.extend(inner.undo)
    run.journal.end(RunState.ABORTED, "aborted by the operator")
    run.save()
    return run.report()


def _unfinished(
    workspace: Workspace,
    projects: Sequence[Project],
    say: Say,
    smoke_check: Smoke,
    clock: Clock,
    verb: str,
) -> _Fleet:
    journal = status()
    if journal is None or journal.state.finished:
        last = f" (the last one {journal.where()})" if journal else ""
        raise UsageError(f"no unfinished fleet update to {verb}{last}")
    journal.control = control_here()
    plan = FleetPlan.from_dict(journal.facts["plan"])
    by_name = {p.name: p for p in projects}
    missing = sorted({s.project for m in plan.servers for s in m.sites} - set(by_name))
    if missing:
        raise UsageError(
            f"the fleet run {journal.run_id} also moves {', '.join(missing)}: {verb} it with --all"
        )
    pins = {name: load_pins(workspace, name) for name in by_name}
    return _Fleet(
        workspace,
        by_name,
        pins,
        plan,
        journal,
        say,
        smoke_check,
        clock,
        bool(journal.facts.get("wait", True)),
        int(journal.facts.get("max_failed", 1)),
    )


def refuse_unfinished(projects: Sequence[Project]) -> None:
    """A UsageError while a fleet run, or an update of one of ``projects``, is unfinished."""
    previous = status()
    if previous is not None and not previous.state.finished:
        raise UsageError(
            f"a fleet update is unfinished ({previous.where()}): run "
            "`upkeep update resume --fleet` or `upkeep update abort --fleet`"
        )
    journals = project_store()
    for project in projects:
        single = journals.load(project.name)
        if single is not None and not single.state.finished:
            raise UsageError(
                f"an update of {project.name} is unfinished ({single.where()}): run "
                f"`upkeep update resume {project.name}` or `upkeep update abort {project.name}`"
            )


def _windows(
    projects: Mapping[str, Project], wave: Wave
) -> dict[str, tuple[MaintenanceWindow, ...]]:
    return {name: projects[name].maintenance for name in wave.projects}


# -- the fleet's steps -------------------------------------------------------------
def _waiter(wave: Wave) -> Callable[[_Fleet], str]:
    def wait(run: _Fleet) -> str:
        run.say(f"{wave.name}: {', '.join(m.server for m in wave.servers)}")
        if not run.wait:
            return "not waiting for maintenance windows (--no-wait)"
        return wait_for_windows(_windows(run.projects, wave), run.clock, run.say)

    return wait


def _mover(move: ServerMove) -> Callable[[_Fleet], str]:
    def action(run: _Fleet) -> str:
        inner = _server_journal(run, move)
        if inner is None:  # not started in this run (a resumed run may have started it)
            inner = Journal.start("update", move.server, server_pipeline().names())
            inner.facts.update(fleet_run=run.journal.run_id, **move.to_dict())
        server = _ServerRun(run, move, inner)
        if not inner.state.finished:
            try:
                server_pipeline().run(
                    server,
                    inner,
                    locks=server.locks,
                    save=server.save,
                    say=server.say,
                    undo_interrupted=False,
                )
            except UpkeepError as refused:  # its locks (held, or the host unreachable)
                if any(step.started for step in inner.steps):
                    raise  # a resumed server's run stays unfinished, to resume or abort
                inner.end(RunState.ROLLED_BACK, f"not started: {credentials.redact(str(refused))}")
                server.save()
        _note(run, move, inner)
        if inner.state is RunState.SUCCEEDED:
            return (
                f"PHP {move.from_build} → {move.to_build}; {len(move.sites)} site(s) smoke-checked"
            )
        failed = run.failed
        stop = inner.state is RunState.FAILED or len(failed) >= run.max_failed
        if stop:
            raise RunFailed(
                f"halted after {len(failed)} failed server(s) ({', '.join(failed)}): "
                f"{inner.error}; no later server was touched"
            )
        return f"{inner.state}: {inner.error}"

    return action


def _server_journal(run: _Fleet, move: ServerMove) -> Journal | None:
    """This fleet run's journal of ``move``'s server, if it started it."""
    found = store().load(server_step(move.server))
    if found is None or found.facts.get("fleet_run") != run.journal.run_id:
        return None
    return found


def _note(run: _Fleet, move: ServerMove, inner: Journal) -> None:
    run.journal.facts.setdefault("servers", {})[move.server] = {
        "state": str(inner.state),
        "error": inner.error,
        "steps": [s.to_dict() for s in inner.steps],
        "smoke": inner.facts.get("smoke", []),
        "undo": list(inner.undo),
        "commit": inner.facts.get("commit"),
    }
    run.save()


# -- one server ---------------------------------------------------------------------
@dataclass
class _ServerRun:
    fleet: _Fleet
    move: ServerMove
    journal: Journal
    smoke_results: list[SmokeResult] = field(default_factory=list)

    @property
    def host(self) -> Host:
        site = self.move.sites[0]
        return self.project(site.project).environment(site.environment).hosts[0]

    def project(self, name: str) -> Project:
        return self.fleet.projects[name]

    def environments(self) -> dict[str, list[str]]:
        """The environments of each project on this server."""
        found: dict[str, list[str]] = {}
        for site in self.move.sites:
            found.setdefault(site.project, []).append(site.environment)
        return found

    def say(self, line: str) -> None:
        self.fleet.say(f"  {self.move.server}: {line}")

    def save(self, journal: Journal | None = None) -> None:
        store().save(self.journal, server_step(self.move.server))

    def locks(self) -> list[Lock]:
        purpose = (
            f"update minor on {self.move.server} {self.move.from_build} → {self.move.to_build}"
        )
        return [
            environment_lock(
                site.project, self.project(site.project).environment(site.environment), purpose
            )
            for site in self.move.sites
        ]


def server_pipeline() -> Pipeline[_ServerRun]:
    return Pipeline(
        "update",
        locked=True,
        steps=(
            Step("backup", _backup),
            Step("prefetch", _prefetch),  # downloads only: the move then unpacks from the cache
            Step("move_build", _move_build, undo=_put_back, restores="the server's PHP build"),
            Step("smoke", _smoke_sites),
        ),
    )


def _backup(run: _ServerRun) -> str:
    """What the one update backs up, for every site: each production database, the packages."""
    run_id = run.journal.run_id
    first = run.move.sites[0]
    directory = SiteLayout.of(first.project, first.environment).update_backup(run_id)
    kept = backup.keep_packages(run.host, run.move.line, directory)
    written = {(first.project, first.environment)}  # the sites whose backups dir has ours
    dumped = []
    for site in run.move.sites:
        if site.environment == PRODUCTION:
            database = run.project(site.project).database_of(PRODUCTION).name
            layout = SiteLayout.of(site.project, site.environment)
            backup.dump_database(run.host, database, layout.update_backup(run_id))
            dumped.append(site.label)
            written.add((site.project, site.environment))
    for project, environment in sorted(written):
        keep = run.project(project).backups.keep
        backup.prune(run.host, SiteLayout.of(project, environment), keep)
    run.journal.facts.update(backup_dir=directory, packages=kept)
    databases = f"databases of {', '.join(dumped)} and " if dumped else ""
    return f"{databases}{len(kept)} PHP packages ({run.move.from_build}) kept in {directory}"


def _prefetch(run: _ServerRun) -> str:
    first = run.move.sites[0]
    site = site_at(run.project(first.project), first.environment, run.move.to_build)
    return prefetch([Target(first.environment, run.host)], site)


def _move_build(run: _ServerRun) -> str:
    pins = run.fleet.pins
    moved = {}
    for name, envs in run.environments().items():
        moved[name] = pins[name]
        for env in envs:
            moved[name] = moved[name].with_env(env, php_build=run.move.to_build)
    reason = (
        f"upkeep update minor over the fleet, run {run.fleet.journal.run_id}: {run.move.server}"
    )
    commit = write_all_pins(run.fleet.workspace, list(moved.values()), reason)
    pins.update(moved)
    if commit is not None:
        run.journal.facts["commit"] = commit
        run.save()
    _provision_sites(run, run.move.to_build)
    return f"{run.move.server} on PHP {run.move.to_build} (was {run.move.from_build}); pins {str(commit or '')[:10]}"


def _provision_sites(run: _ServerRun, build: str) -> None:
    backup.settle_dpkg(run.host)
    for name, envs in run.environments().items():
        result = provision(run.fleet.workspace, run.project(name), run.fleet.pins[name], envs)
        if not result.ok:
            failed = result.run.failed[0] if result.run.failed else None
            where = f" ({failed.host}: {failed.operation})" if failed else ""
            raise RunFailed(f"provisioning {name} {', '.join(envs)} at PHP {build} failed{where}")
        run.fleet.pins[name] = result.pins


def _smoke_sites(run: _ServerRun, build: str | None = None) -> str:
    """Every site on the server smoke-checked at ``build`` (the new one by default)."""
    build = build or run.move.to_build
    failing = []
    for site in run.move.sites:
        project = run.project(site.project)
        result = run.fleet.smoke(project, project.environment(site.environment), build)
        run.smoke_results.append(result)
        run.journal.facts.setdefault("smoke", []).append(
            {"project": site.project, **result.to_dict()}
        )
        if not result.ok:
            failing.append(f"{site.label}: {result.summary()}")
    run.save()
    if failing:
        raise RunFailed(
            f"{run.move.server} fails its smoke checks on PHP {build}: {'; '.join(failing)}"
        )
    return f"{len(run.move.sites)} site(s) pass their smoke checks on PHP {build}"


def _put_back(run: _ServerRun) -> str:
    old = run.move.from_build
    run.say(f"putting {run.move.server} back on PHP {old}")
    kept = run.journal.facts.get("backup_dir")
    if kept:
        backup.reinstall_kept(run.host, kept, run.move.line, old)
    moved = [
        name
        for name, envs in run.environments().items()
        if any(run.fleet.pins[name].get(env).php_build != old for env in envs)
    ]
    reverted = ""
    commit = run.journal.facts.get("commit")
    if moved and commit:
        reverted = revert_pins(run.fleet.workspace, commit)
        for name in moved:  # git wrote the files this time: read back what the revert left
            run.fleet.pins[name] = load_pins(run.fleet.workspace, name)
    elif moved:  # the pins moved but the run died before noting its commit
        back = []
        for name in moved:
            pins = run.fleet.pins[name]
            for env in run.environments()[name]:
                pins = pins.with_env(env, php_build=old)
            back.append(pins)
            run.fleet.pins[name] = pins
        reason = f"upkeep update: put {run.move.server} back, run {run.fleet.journal.run_id}"
        reverted = write_all_pins(run.fleet.workspace, back, reason) or ""
    _provision_sites(run, old)
    _smoke_sites(run, old)
    revert = f", pins reverted in {reverted[:10]}" if reverted else ""
    return f"{run.move.server} back on PHP {old}{revert}; every site on it passes its smoke checks"
