"""``upkeep update minor``: a newer PHP build on the same line, staging first, then production.

lock → prefetch (the new build's packages downloaded and verified into apt's
cache on staging and production: nothing installed) → refresh staging from
production → bump staging (pin committed, staging provisioned) → smoke
staging → back up production (database, the exact package versions and
their .deb files, kept on the host) → bump production (pin committed, the
packages unpacked from the cache on every host at once, PHP-FPM reloaded
gracefully) → smoke production → provision production (the rest of its
desired state, which a bump does not change) → bring the shared dev server
along → unlock. Production is affected from its first package change to its
smoke checks passing: the unpack and the reload, never a download.

The steps run on the pipeline (``upkeep.pipeline``), which saves the journal
before and after each, so ``resume`` carries on from the step that was
running and ``abort`` undoes what was done. Each bump's undo puts its
environment back: a failure before production was touched puts staging back
and leaves production as it was; a failure after puts production back from
the kept packages (no network), reverts the pins with a revert commit and
smoke-checks again.

    >>> report = minor(workspace, project, pins)     # doctest: +SKIP
    >>> report.state, report.to_build                # doctest: +SKIP
    (<RunState.SUCCEEDED: 'succeeded'>, '8.2.36-1~deb12u1')
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from upkeep import credentials
from upkeep.envlocks import environment_lock, environment_locks
from upkeep.errors import RunFailed, UpkeepError, UsageError
from upkeep.inventory import Environment, Project
from upkeep.inventory.pins import Pins, load_pins, revert_pins, write_pins
from upkeep.layout import SiteLayout
from upkeep.locks import Lock, LockStatus, release_all
from upkeep.locks import inspect as inspect_lock
from upkeep.pipeline import Journal, JournalStore, Pipeline, RunState, Step
from upkeep.pipeline.journal import control_here
from upkeep.progress import Tick
from upkeep.provision.workflow import provision
from upkeep.refresh.workflow import refresh
from upkeep.runner import Target
from upkeep.smoke import SmokeResult, smoke
from upkeep.update import backup
from upkeep.update.backup import prune_script as prune_script  # where tests have found it
from upkeep.update.prefetch import install_prefetched, prefetch, site_at
from upkeep.update.proposal import UpdateCheck, check_for_update
from upkeep.update.report import UpdateReport, report_of
from upkeep.update.runs import from_build, started, store, to_build
from upkeep.workspace import Workspace

Say = Callable[[str], None]
Smoke = Callable[[Project, Environment, str], SmokeResult]


def minor_pipeline(*, shared_host: bool, prefetch: bool = True) -> Pipeline[_Update]:
    """The update's steps. With staging on production's host the build is the host's, so
    staging's bump moves production too: production is backed up first, its pin moves with
    staging's in one commit, and its undo runs once staging's bump has started.

    ``prefetch=False``: no prefetch, production's bump provisions it and downloads inside
    the window, as upkeep did before (the baseline benchmarks/bench_update.py measures).
    """
    staging = Step("bump_staging", _bump_staging, undo=_staging_back, restores="staging")
    production = Step(
        "bump_production",
        _bump_production if prefetch else _bump_production_provisioned,
        undo=_production_back,
        restores="production",
        touched_by=("bump_staging",) if shared_host else (),
    )
    refresh_staging = Step("refresh_staging", _refresh_staging)
    smoke_staging = Step("smoke_staging", _smoke_staging)
    backup = Step("backup_production", _backup_production)
    if shared_host:
        trial = (refresh_staging, backup, staging, smoke_staging)
    else:
        trial = (refresh_staging, staging, smoke_staging, backup)
    fetched = (Step("prefetch", _prefetch),) if prefetch else ()  # downloads only: no undo
    provisioned = (Step("provision_production", _provision_production),) if prefetch else ()
    return Pipeline(
        "update",
        locked=True,
        steps=(
            *fetched,
            *trial,
            production,
            Step("smoke_production", _smoke_production),
            *provisioned,
            Step("sync_dev", _sync_dev, undo=_dev_back, restores="dev"),
            Step("unlock", _unlock),
        ),
    )


def dev_sync_pipeline() -> Pipeline[_Update]:
    """Production is current but the dev server is not (an update ran before dev followed)."""
    return Pipeline("update", steps=(Step("sync_dev", _sync_dev),))


def _real_smoke(project: Project, environment: Environment, build: str) -> SmokeResult:
    return smoke(project, environment, expect_php=build)


@dataclass
class _Update:
    workspace: Workspace
    project: Project
    pins: Pins  # as upkeep last wrote them: each step passes on what it wrote
    journal: Journal
    store: JournalStore
    say: Say
    tick: Tick
    smoke: Smoke
    locks: list[Lock] = field(default_factory=list)
    smoke_results: list[SmokeResult] = field(default_factory=list)

    @property
    def line(self) -> str:
        return self.project.php.line

    @property
    def from_build(self) -> str:
        return from_build(self.journal)

    @property
    def to_build(self) -> str:
        return to_build(self.journal)

    def environment(self, name: str) -> Environment:
        return self.project.environment(name)

    def save(self) -> None:
        self.store.save(self.journal)

    @property
    def shared_host(self) -> bool:
        """Whether staging runs on production's host (the run was told it may)."""
        return bool(self.journal.facts.get("shared_host"))

    @property
    def pipeline(self) -> Pipeline[_Update]:
        prefetch = bool(self.journal.facts.get("prefetch", True))
        return minor_pipeline(shared_host=self.shared_host, prefetch=prefetch)

    def environment_locks(self) -> list[Lock]:
        """The lock of every environment the update touches, before anything can change or undo."""
        purpose = f"update minor {self.project.name} {self.from_build} → {self.to_build}"
        self.locks = environment_locks(self.project, list(self.project.environments), purpose)
        return self.locks

    def drive(self) -> None:
        """Run (or resume) the steps not done, under the locks."""
        self.pipeline.run(
            self,
            self.journal,
            locks=self.environment_locks,
            save=self.store.save,
            say=self.say,
            undo_interrupted=False,  # a kill or Ctrl-C is resumed or aborted, not guessed at
        )

    def abort(self, reason: str) -> None:
        """Undo what the steps did, the last first, under the locks."""
        self.pipeline.abort(
            self,
            self.journal,
            reason,
            locks=self.environment_locks,
            save=self.store.save,
            say=self.say,
        )

    def report(self, found: UpdateCheck | None = None) -> UpdateReport:
        return report_of(self.journal, _site(self.project), tuple(self.smoke_results), found)


def _site(project: Project) -> str:
    return project.environment("production").domain


def status(project: Project) -> Journal | None:
    return store().load(project.name)


def holder(project: Project) -> LockStatus | None:
    """Who holds production's lock now, alive or not (None: nobody): a live run or a dead one."""
    lock = environment_lock(project.name, project.environment("production"), "update status")
    return inspect_lock(lock.lock_dir, lock.run)


def shared_hosts_refusal(project: Project) -> str | None:
    """Why a minor update cannot treat staging as a separate trial, or None when it can."""
    if "staging" not in project.environments:
        return None
    shared = project.shared_addresses("staging", "production")
    if not shared:
        return None
    return (
        f"staging and production of {project.name} share host {', '.join(shared)}: a PHP build "
        "belongs to the host, so staging's bump moves production too and is no separate trial; "
        "run again with --shared-host to update both at once (production backed up first)"
    )


def minor(
    workspace: Workspace,
    project: Project,
    pins: Pins,
    *,
    say: Say = lambda _: None,
    tick: Tick = lambda _: None,
    smoke_check: Smoke = _real_smoke,
    shared_host: bool = False,
    prefetch: bool = True,
) -> UpdateReport:
    """Run a minor update from the start; a report whatever the outcome (see its state).

    ``shared_host`` allows staging on production's host (see ``shared_hosts_refusal``);
    ``prefetch=False`` downloads inside production's window (see ``minor_pipeline``).
    """
    refusal = shared_hosts_refusal(project)
    if refusal and not shared_host:
        raise UsageError(refusal)
    journals = store()
    previous = journals.load(project.name)
    if previous is not None and not previous.state.finished:
        raise UsageError(
            f"an update of {project.name} is unfinished ({previous.where()}): run "
            f"`upkeep update resume {project.name}` or `upkeep update abort {project.name}`"
        )
    found = check_for_update(project, pins, say=say)
    if not found.proposal.available:
        pinned = found.proposal.pinned
        run = _Update(
            workspace,
            project,
            pins,
            started(project.name, pinned, pinned, ()),
            journals,
            say,
            tick,
            smoke_check,
        )
        if _dev_behind(project, pins, pinned):
            sync = dev_sync_pipeline()
            run.journal = started(project.name, pinned, pinned, sync.names())
            sync.run(run, run.journal, say=say)  # no lock: as production, only dev moves
            run.journal.end(RunState.NOTHING_TO_DO)
            journals.save(run.journal)
        else:
            run.journal.end(RunState.NOTHING_TO_DO)
        return run.report(found)
    assert found.proposal.offered is not None
    job = minor_pipeline(shared_host=refusal is not None, prefetch=prefetch)
    journal = started(project.name, found.proposal.pinned, found.proposal.offered, job.names())
    journal.facts["security"] = [entry.summary() for entry in found.notes]
    journal.facts["shared_host"] = refusal is not None
    journal.facts["prefetch"] = prefetch
    run = _Update(workspace, project, pins, journal, journals, say, tick, smoke_check)
    run.drive()  # locks held by another run: LockHeld, nothing recorded, nothing to undo
    return run.report(found)


def resume(
    workspace: Workspace,
    project: Project,
    pins: Pins,
    *,
    say: Say = lambda _: None,
    tick: Tick = lambda _: None,
    smoke_check: Smoke = _real_smoke,
) -> UpdateReport:
    """Carry on an unfinished run from the step that did not finish."""
    run = _unfinished(workspace, project, pins, say, tick, smoke_check, "resume")
    say(f"resuming run {run.journal.run_id}: {run.journal.where()}")
    run.drive()  # a live run holds the locks: LockHeld (exit 1) names it, nothing is undone
    return run.report()


def abort(
    workspace: Workspace,
    project: Project,
    pins: Pins,
    *,
    say: Say = lambda _: None,
    tick: Tick = lambda _: None,
    smoke_check: Smoke = _real_smoke,
) -> UpdateReport:
    """Undo an unfinished run: production and staging back on the build they had."""
    run = _unfinished(workspace, project, pins, say, tick, smoke_check, "abort")
    say(f"aborting run {run.journal.run_id}: {run.journal.where()}")
    run.abort("aborted by the operator")  # a live run holds the locks: LockHeld
    return run.report()


def _unfinished(
    workspace: Workspace,
    project: Project,
    pins: Pins,
    say: Say,
    tick: Tick,
    smoke_check: Smoke,
    verb: str,
) -> _Update:
    journals = store()
    journal = journals.load(project.name)
    if journal is None or journal.state.finished:
        last = f" (the last one {journal.where()})" if journal else ""
        raise UsageError(f"no unfinished update of {project.name} to {verb}{last}")
    journal.control = control_here()
    return _Update(workspace, project, pins, journal, journals, say, tick, smoke_check)


# -- the steps ----------------------------------------------------------------------
def _unlock(run: _Update) -> str:
    # Released early; the driver's release after the run is then a no-op (a Lock releases once).
    release_all(run.locks)
    return "locks released"


def _refresh_staging(run: _Update) -> str:
    report = refresh(
        run.workspace,
        run.project,
        run.pins,
        source="production",
        target="staging",
        say=lambda line: run.say(f"  refresh: {line}"),
        tick=run.tick,
    )
    run.pins = report.pins or run.pins  # staging's ref, as the refresh deployed it
    return f"staging refreshed from production: {report.data.rows} rows, {report.data.values_sanitized} values sanitized"


def _bump(run: _Update, environment: str, build: str, key: str) -> str:
    """Pin ``environment`` at ``build`` (one commit) and provision it there."""
    before = run.pins.get(environment).php_build
    _move_pin(run, environment, build, key)
    _settle_dpkg(run, environment)
    _provision(run, environment, build)
    return f"{environment} on PHP {build} (was {before}); pins {str(run.journal.facts.get(key, ''))[:10]}"


def _move_pin(run: _Update, environment: str, build: str, key: str) -> None:
    """``environment``'s pin at ``build``, committed; the commit noted under ``key``."""
    reason = f"upkeep update minor, run {run.journal.run_id}"
    moved = run.pins.with_env(environment, php_build=build)
    if environment == "staging" and run.shared_host:  # the host's build is production's too
        moved = moved.with_env("production", php_build=build)
        run.journal.facts["production_touched_at"] = time.time()
    commit = write_pins(run.workspace, moved, reason)
    run.pins = moved
    if commit is not None:
        run.journal.facts[key] = commit
        if environment == "staging" and run.shared_host:
            run.journal.facts["production_commit"] = commit
        run.save()


def _provision(run: _Update, environment: str, build: str) -> int:
    """``environment`` provisioned at its pins; how many operations changed something."""
    result = provision(run.workspace, run.project, run.pins, [environment], say=lambda _: None)
    if not result.ok:
        failed = result.run.failed[0] if result.run.failed else None
        where = f" ({failed.host}: {failed.operation})" if failed else ""
        raise RunFailed(f"provisioning {environment} at PHP {build} failed{where}")
    run.pins = result.pins
    return result.run.changed


def _settle_dpkg(run: _Update, environment: str) -> None:
    for host in run.environment(environment).hosts:
        backup.settle_dpkg(host)


def _bump_staging(run: _Update) -> str:
    return _bump(run, "staging", run.to_build, "staging_commit")


def _smoke(run: _Update, environment: str, build: str) -> str:
    result = run.smoke(run.project, run.environment(environment), build)
    run.smoke_results.append(result)
    run.journal.facts.setdefault("smoke", []).append(result.to_dict())
    run.save()
    if not result.ok:
        raise RunFailed(f"{environment} fails its smoke checks on PHP {build}: {result.summary()}")
    return result.summary()


def _smoke_staging(run: _Update) -> str:
    return _smoke(run, "staging", run.to_build)


def _backup_production(run: _Update) -> str:
    production = run.environment("production")
    layout = SiteLayout.of(run.project.name, "production")
    directory = layout.update_backup(run.journal.run_id)
    kept = {}
    for host in production.hosts:
        backup.dump_database(host, run.project.database_of("production").name, directory)
        kept[host.name] = backup.keep_packages(host, run.line, directory)
        backup.prune(host, layout, run.project.backups.keep)
    run.journal.facts.update(backup_dir=directory, packages=kept)
    count = sum(len(p) for p in kept.values())
    return f"database and {count} PHP packages ({run.from_build}) kept in {directory}"


def _prefetch(run: _Update) -> str:
    """The new build's packages into apt's cache on staging's and production's hosts."""
    targets = [
        Target(name, host)
        for name in ("staging", "production")
        if name in run.project.environments
        for host in run.environment(name).hosts
    ]
    return prefetch(targets, site_at(run.project, "production", run.to_build))


def _bump_production(run: _Update) -> str:
    """Production's pin moved, then its window: the prefetched packages unpacked on every
    host at once and PHP-FPM reloaded gracefully (the rest is provisioned after the smoke)."""
    before = run.pins.get("production").php_build
    _move_pin(run, "production", run.to_build, "production_commit")
    _settle_dpkg(run, "production")
    run.journal.facts.setdefault("production_touched_at", time.time())
    run.save()
    hosts = run.environment("production").hosts
    kept = run.journal.facts.get("packages", {})
    installed = {
        host.name: kept.get(host.name) or backup.installed(host, run.line) for host in hosts
    }
    install_prefetched(hosts, site_at(run.project, "production", run.to_build), installed)
    commit = str(run.journal.facts.get("production_commit", ""))[:10]
    return f"production on PHP {run.to_build} (was {before}), from apt's cache; pins {commit}"


def _bump_production_provisioned(run: _Update) -> str:
    run.journal.facts.setdefault("production_touched_at", time.time())
    run.save()
    return _bump(run, "production", run.to_build, "production_commit")


def _provision_production(run: _Update) -> str:
    changed = _provision(run, "production", run.to_build)
    return f"production provisioned at PHP {run.to_build}: {changed} operations changed something"


def _smoke_production(run: _Update) -> str:
    detail = _smoke(run, "production", run.to_build)
    _affected(run)
    return detail


def _affected(run: _Update) -> None:
    touched = run.journal.facts.get("production_touched_at")
    if touched is not None:
        run.journal.facts["production_affected_seconds"] = round(time.time() - touched, 1)
        run.save()


def _dev_behind(project: Project, pins: Pins, production_build: str) -> bool:
    if "dev" not in project.environments:
        return False
    return pins.get("dev").php_build != production_build


def _sync_dev(run: _Update) -> str:
    """The shared dev server follows production, so the three stay in sync (drift agrees).

    Production is done by now: a dev that will not move is reported, never rolled back for.
    """
    if "dev" not in run.project.environments:
        return "no dev environment"
    try:
        return _bump(run, "dev", run.to_build, "dev_commit")
    except UpkeepError as failure:
        return f"dev NOT moved ({credentials.redact(str(failure))}); run `upkeep provision {run.project.name} dev`"


# -- undo: each bump's, the last first -----------------------------------------------
def _production_back(run: _Update) -> str:
    try:
        return _put_back(run, "production", "production_commit")
    finally:
        _affected(run)  # the window production's packages were changing in ends here


def _staging_back(run: _Update) -> str:
    return _put_back(run, "staging", "staging_commit")


def _dev_back(run: _Update) -> str:
    return _put_back(run, "dev", "dev_commit")


def _put_back(run: _Update, environment: str, key: str) -> str:
    old = run.from_build
    run.say(f"putting {environment} back on PHP {old}")
    kept = run.journal.facts.get("backup_dir")
    if environment == "production" and kept:
        for host in run.environment(environment).hosts:
            backup.reinstall_kept(host, kept, run.line, old)
    reverted = ""
    if run.pins.get(environment).php_build != old:
        commit = run.journal.facts.get(key)
        if commit:
            reverted = revert_pins(run.workspace, commit)
            # git wrote the file this time: read back what the revert left (upkeep's own write)
            run.pins = load_pins(run.workspace, run.project.name)
        else:  # the pin moved but the run died before noting its commit
            back = run.pins.with_env(environment, php_build=old)
            reason = f"upkeep update: put {environment} back, run {run.journal.run_id}"
            reverted = write_pins(run.workspace, back, reason) or ""
            run.pins = back
    _provision(run, environment, old)
    checked = run.smoke(run.project, run.environment(environment), old)
    run.smoke_results.append(checked)
    run.journal.facts.setdefault("smoke", []).append(checked.to_dict())
    if not checked.ok:
        raise RunFailed(f"{environment} still fails its smoke checks: {checked.summary()}")
    revert = f", pins reverted in {reverted[:10]}" if reverted else ""
    return f"{environment} back on PHP {old}{revert}; smoke checks pass"


STEPS = tuple(minor_pipeline(shared_host=False).names())  # as a journal lists them
SHARED_HOST_STEPS = tuple(minor_pipeline(shared_host=True).names())
