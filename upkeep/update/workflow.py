"""``upkeep update minor``: a newer PHP build on the same line, staging first, then production.

lock → refresh staging from production → bump staging (pin committed,
staging provisioned) → smoke staging → back up production (database, the
exact package versions and their .deb files, kept on the host) → bump
production (pin committed, packages installed, PHP-FPM reloaded gracefully)
→ smoke production → bring the shared dev server along → unlock.

Each step is a function; the journal (``upkeep.update.journal``) is written
before and after each, so ``resume`` carries on from the step that was
running and ``abort`` undoes what was done. A failure before production was
touched puts staging back and leaves production as it was; a failure after
puts production back from the kept packages (no network), reverts the pins
with a revert commit and smoke-checks again.

    >>> report = minor(workspace, "demo")            # doctest: +SKIP
    >>> report.state, report.to_build                # doctest: +SKIP
    (<RunState.SUCCEEDED: 'succeeded'>, '8.2.36-1~deb12u1')
"""

from __future__ import annotations

import shlex
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from upkeep import credentials
from upkeep.envlocks import acquire_all, environment_lock, environment_locks, release_all
from upkeep.errors import RunFailed, UpkeepError, UsageError
from upkeep.inventory import Environment, Project, load_project
from upkeep.inventory.pins import load_pins, revert_pins, write_pins
from upkeep.layout import SiteLayout
from upkeep.locks import Lock, LockStatus
from upkeep.locks import inspect as inspect_lock
from upkeep.progress import Tick
from upkeep.provision.workflow import provision
from upkeep.refresh.workflow import refresh
from upkeep.smoke import SmokeResult, smoke
from upkeep.ssh import check_root
from upkeep.update import packages
from upkeep.update.journal import Journal, JournalStep, JournalStore, RunState, StepState
from upkeep.update.proposal import check_for_update
from upkeep.update.report import UpdateReport, report_of
from upkeep.workspace import Workspace, state_home

Say = Callable[[str], None]
Smoke = Callable[[Project, Environment, str], SmokeResult]

STEPS = (
    "lock",
    "refresh_staging",
    "bump_staging",
    "smoke_staging",
    "backup_production",
    "bump_production",
    "smoke_production",
    "sync_dev",
    "unlock",
)
# Staging on production's host: the build is the host's, so staging's bump moves production
# too. Production is backed up first, and its pin moves with staging's, in one commit.
SHARED_HOST_STEPS = (
    "lock",
    "refresh_staging",
    "backup_production",
    "bump_staging",
    "smoke_staging",
    "bump_production",
    "smoke_production",
    "sync_dev",
    "unlock",
)


def _real_smoke(project: Project, environment: Environment, build: str) -> SmokeResult:
    return smoke(project, environment, expect_php=build)


@dataclass
class _Update:
    workspace: Workspace
    project: Project
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

    def environment(self, name: str) -> Environment:
        return self.project.environment(name)

    def save(self) -> None:
        self.store.save(self.journal)

    @property
    def shared_host(self) -> bool:
        """Whether staging runs on production's host (the run was told it may)."""
        return bool(self.journal.facts.get("shared_host"))


def _site(project: Project) -> str:
    return project.environment("production").domain


def store() -> JournalStore:
    return JournalStore(state_home() / "updates")


def status(workspace: Workspace, project_name: str) -> Journal | None:
    load_project(workspace, project_name)  # an unknown project is a usage error
    return store().load(project_name)


def holder(workspace: Workspace, project_name: str) -> LockStatus | None:
    """Who holds production's lock now, alive or not (None: nobody): a live run or a dead one."""
    project = load_project(workspace, project_name)
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
    project_name: str,
    *,
    say: Say = lambda _: None,
    tick: Tick = lambda _: None,
    smoke_check: Smoke = _real_smoke,
    shared_host: bool = False,
) -> UpdateReport:
    """Run a minor update from the start; a report whatever the outcome (see its state).

    ``shared_host`` allows staging on production's host (see ``shared_hosts_refusal``).
    """
    project = load_project(workspace, project_name)
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
    found = check_for_update(workspace, project.name, say=say)
    if not found.proposal.available:
        pinned = found.proposal.pinned
        journal = Journal.start(project.name, pinned, pinned, ())
        if _dev_behind(workspace, project, pinned):
            # Production is current, the dev server is not (an update ran before dev followed).
            journal.steps.append(JournalStep("sync_dev"))
            run = _Update(workspace, project, journal, journals, say, tick, smoke_check)
            step = journal.step("sync_dev")
            step.begin()
            step.finish(_sync_dev(run))
        journal.end(RunState.NOTHING_TO_DO)
        if journal.steps:
            journals.save(journal)  # _bump saved it while running: say it is finished
        return report_of(journal, _site(project), (), found)
    assert found.proposal.offered is not None
    steps = SHARED_HOST_STEPS if refusal else STEPS
    journal = Journal.start(project.name, found.proposal.pinned, found.proposal.offered, steps)
    journal.facts["security"] = [entry.summary() for entry in found.notes]
    journal.facts["shared_host"] = refusal is not None
    run = _Update(workspace, project, journal, journals, say, tick, smoke_check)
    _take_locks(run)  # held by another run: stop here, nothing recorded, nothing to undo
    run.save()
    _drive(run)
    return report_of(run.journal, _site(project), tuple(run.smoke_results), found)


def resume(
    workspace: Workspace,
    project_name: str,
    *,
    say: Say = lambda _: None,
    tick: Tick = lambda _: None,
    smoke_check: Smoke = _real_smoke,
) -> UpdateReport:
    """Carry on an unfinished run from the step that did not finish."""
    run = _unfinished(workspace, project_name, say, tick, smoke_check, "resume")
    _take_locks(run)  # a live run holds them: LockHeld (exit 1) names it, nothing is undone
    say(f"resuming run {run.journal.run_id}: {run.journal.where()}")
    _drive(run)
    return report_of(run.journal, _site(run.project), tuple(run.smoke_results), None)


def abort(
    workspace: Workspace,
    project_name: str,
    *,
    say: Say = lambda _: None,
    tick: Tick = lambda _: None,
    smoke_check: Smoke = _real_smoke,
) -> UpdateReport:
    """Undo an unfinished run: production and staging back on the build they had."""
    run = _unfinished(workspace, project_name, say, tick, smoke_check, "abort")
    _take_locks(run)  # a live run holds them: LockHeld (exit 1) names it, nothing is undone
    say(f"aborting run {run.journal.run_id}: {run.journal.where()}")
    try:
        _undo(run, RunState.ABORTED, "aborted by the operator")
    finally:
        _release_locks(run)
    return report_of(run.journal, _site(run.project), tuple(run.smoke_results), None)


def _unfinished(
    workspace: Workspace, project_name: str, say: Say, tick: Tick, smoke_check: Smoke, verb: str
) -> _Update:
    project = load_project(workspace, project_name)
    journals = store()
    journal = journals.load(project.name)
    if journal is None or journal.state.finished:
        last = f" (the last one {journal.where()})" if journal else ""
        raise UsageError(f"no unfinished update of {project.name} to {verb}{last}")
    journal.control = Journal.start(project.name, "", "", ()).control
    return _Update(workspace, project, journal, journals, say, tick, smoke_check)


# -- the driver --------------------------------------------------------------------
def _drive(run: _Update) -> None:
    """Run the journal's steps from the first not done; the locks are already held."""
    journal = run.journal
    steps: dict[str, Callable[[_Update], str]] = {
        "lock": _lock,
        "refresh_staging": _refresh_staging,
        "bump_staging": _bump_staging,
        "smoke_staging": _smoke_staging,
        "backup_production": _backup_production,
        "bump_production": _bump_production,
        "smoke_production": _smoke_production,
        "sync_dev": _sync_dev,
        "unlock": _unlock,
    }
    try:
        for step in journal.steps:
            if step.state is StepState.DONE:
                continue
            step.begin()
            run.save()
            run.say(f"{step.name} …")
            detail = steps[step.name](run)
            step.finish(detail)
            run.save()
            run.say(f"{step.name}: {detail} ({step.seconds or 0:.1f} s)")
        journal.end(RunState.SUCCEEDED)
        run.save()
    except (UpkeepError, subprocess.TimeoutExpired) as failure:
        reason = credentials.redact(str(failure))
        running = next((s for s in journal.steps if s.state is StepState.RUNNING), None)
        if running is not None:
            running.fail(reason)
        run.say(f"failed: {reason}")
        _undo(run, RunState.ROLLED_BACK, reason)
    finally:
        _release_locks(run)


# -- the steps ----------------------------------------------------------------------
def _take_locks(run: _Update) -> None:
    """The lock of every environment the update touches, before anything can change or undo."""
    purpose = f"update minor {run.project.name} {run.journal.from_build} → {run.journal.to_build}"
    run.locks = acquire_all(environment_locks(run.project, list(run.project.environments), purpose))


def _release_locks(run: _Update) -> None:
    release_all(run.locks)


def _lock(run: _Update) -> str:
    return "; ".join(
        f"{lock.lock_dir} ({lock.taken_over})" if lock.taken_over else lock.lock_dir
        for lock in run.locks
    )


def _unlock(run: _Update) -> str:
    _release_locks(run)
    return "locks released"


def _refresh_staging(run: _Update) -> str:
    report = refresh(
        run.workspace,
        run.project.name,
        source="production",
        target="staging",
        say=lambda line: run.say(f"  refresh: {line}"),
        tick=run.tick,
    )
    return f"staging refreshed from production: {report.data.rows} rows, {report.data.values_sanitized} values sanitized"


def _bump(run: _Update, environment: str, build: str, key: str) -> str:
    """Pin ``environment`` at ``build`` (one commit) and provision it there."""
    pins = load_pins(run.workspace, run.project.name)
    before = pins.get(environment).php_build
    reason = f"upkeep update minor, run {run.journal.run_id}"
    moved = pins.with_env(environment, php_build=build)
    if environment == "staging" and run.shared_host:  # the host's build is production's too
        moved = moved.with_env("production", php_build=build)
        run.journal.facts["production_touched_at"] = time.time()
    commit = write_pins(run.workspace, moved, reason)
    if commit is not None:
        run.journal.facts[key] = commit
        if environment == "staging" and run.shared_host:
            run.journal.facts["production_commit"] = commit
        run.save()
    _settle_dpkg(run, environment)
    result = provision(run.workspace, run.project.name, [environment], say=lambda _: None)
    if not result.ok:
        failed = result.run.failed[0] if result.run.failed else None
        where = f" ({failed.host}: {failed.operation})" if failed else ""
        raise RunFailed(f"provisioning {environment} at PHP {build} failed{where}")
    return f"{environment} on PHP {build} (was {before}); pins {str(run.journal.facts.get(key, ''))[:10]}"


def _settle_dpkg(run: _Update, environment: str) -> None:
    # A run killed during an install leaves dpkg half-done; finishing it is always safe.
    for host in run.environment(environment).hosts:
        check_root(host, "dpkg --configure -a", f"finishing interrupted installs on {host.name}")


def _bump_staging(run: _Update) -> str:
    return _bump(run, "staging", run.journal.to_build, "staging_commit")


def _smoke(run: _Update, environment: str, build: str) -> str:
    result = run.smoke(run.project, run.environment(environment), build)
    run.smoke_results.append(result)
    run.journal.facts.setdefault("smoke", []).append(result.to_dict())
    run.save()
    if not result.ok:
        raise RunFailed(f"{environment} fails its smoke checks on PHP {build}: {result.summary()}")
    return result.summary()


def _smoke_staging(run: _Update) -> str:
    return _smoke(run, "staging", run.journal.to_build)


def _backup_production(run: _Update) -> str:
    production = run.environment("production")
    layout = SiteLayout.of(run.project.name, "production")
    directory = layout.update_backup(run.journal.run_id)
    database = shlex.quote(run.project.database_of("production").name)
    kept = {}
    for host in production.hosts:
        installed = packages.parse_installed(
            check_root(host, packages.installed_script(run.line), "listing the PHP packages")
        )
        check_root(
            host,
            (
                f"set -euo pipefail; mkdir -p {directory}; chmod 700 {directory}; "
                f"mariadb-dump --single-transaction --quick --routines --triggers --events {database} "
                f"| gzip -1 > {directory}/database.sql.gz"
            ),
            f"backing up the database on {host.name}",
        )
        check_root(
            host,
            packages.keep_debs_script(f"{directory}/debs", installed),
            f"keeping the PHP packages on {host.name}",
        )
        check_root(
            host, prune_script(layout.backups_dir, run.project.backups.keep), "pruning old backups"
        )
        kept[host.name] = installed
    run.journal.facts.update(backup_dir=directory, packages=kept)
    count = sum(len(p) for p in kept.values())
    return f"database and {count} PHP packages ({run.journal.from_build}) kept in {directory}"


UPDATE_BACKUP = "^update-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$"  # update-<run id>, see Journal.start


def prune_script(backups_dir: str, keep: int) -> str:
    """Only the newest ``keep`` update backups stay (names sort by time; nothing else goes).

    >>> "head -n -3" in prune_script(SiteLayout.of("demo", "production").backups_dir, 3)
    True
    """
    return (
        f"cd {shlex.quote(backups_dir)} && "
        f"ls -1 | grep -E '{UPDATE_BACKUP}' | LC_ALL=C sort | head -n -{int(keep)} | "
        'while read -r old; do rm -rf -- "$old"; done'
    )


def _bump_production(run: _Update) -> str:
    run.journal.facts.setdefault("production_touched_at", time.time())
    run.save()
    return _bump(run, "production", run.journal.to_build, "production_commit")


def _smoke_production(run: _Update) -> str:
    detail = _smoke(run, "production", run.journal.to_build)
    _affected(run)
    return detail


def _affected(run: _Update) -> None:
    touched = run.journal.facts.get("production_touched_at")
    if touched is not None:
        run.journal.facts["production_affected_seconds"] = round(time.time() - touched, 1)
        run.save()


def _dev_behind(workspace: Workspace, project: Project, production_build: str) -> bool:
    if "dev" not in project.environments:
        return False
    return load_pins(workspace, project.name).get("dev").php_build != production_build


def _sync_dev(run: _Update) -> str:
    """The shared dev server follows production, so the three stay in sync (drift agrees).

    Production is done by now: a dev that will not move is reported, never rolled back for.
    """
    if "dev" not in run.project.environments:
        return "no dev environment"
    try:
        return _bump(run, "dev", run.journal.to_build, "dev_commit")
    except UpkeepError as failure:
        return f"dev NOT moved ({credentials.redact(str(failure))}); run `upkeep provision {run.project.name} dev`"


# -- undo ---------------------------------------------------------------------------
def _undo(run: _Update, state: RunState, reason: str) -> None:
    """Put production, then staging, back on the builds they had; end the run as ``state``."""
    journal = run.journal
    problems = []
    for environment, step, key in (
        ("production", "bump_production", "production_commit"),
        ("staging", "bump_staging", "staging_commit"),
        ("dev", "sync_dev", "dev_commit"),
    ):
        if not _touched(run, environment, step):
            continue
        try:
            journal.undo.append(_put_back(run, environment, key))
        except UpkeepError as failure:
            problems.append(f"{environment} NOT put back: {credentials.redact(str(failure))}")
        run.save()
    if _touched(run, "production", "bump_production"):
        _affected(run)
    journal.end(RunState.FAILED if problems else state, "; ".join([reason, *problems]))
    run.save()


def _touched(run: _Update, environment: str, step: str) -> bool:
    """Whether the run may have changed ``environment`` (on a shared host, staging's bump did)."""
    if run.journal.started_step(step):
        return True
    return (
        environment == "production" and run.shared_host and run.journal.started_step("bump_staging")
    )


def _put_back(run: _Update, environment: str, key: str) -> str:
    old = run.journal.from_build
    run.say(f"putting {environment} back on PHP {old}")
    kept = run.journal.facts.get("backup_dir")
    if environment == "production" and kept:
        for host in run.environment(environment).hosts:
            _settle_dpkg(run, environment)
            check_root(
                host,
                packages.reinstall_script(f"{kept}/debs", run.line),
                f"reinstalling PHP {old} from the kept packages on {host.name}",
            )
    pins = load_pins(run.workspace, run.project.name)
    reverted = ""
    if pins.get(environment).php_build != old:
        commit = run.journal.facts.get(key)
        if commit:
            reverted = revert_pins(run.workspace, commit)
        else:  # the pin moved but the run died before noting its commit
            reverted = (
                write_pins(
                    run.workspace,
                    pins.with_env(environment, php_build=old),
                    f"upkeep update: put {environment} back, run {run.journal.run_id}",
                )
                or ""
            )
    result = provision(run.workspace, run.project.name, [environment], say=lambda _: None)
    if not result.ok:
        raise RunFailed(f"provisioning {environment} back at PHP {old} failed")
    checked = run.smoke(run.project, run.environment(environment), old)
    run.smoke_results.append(checked)
    run.journal.facts.setdefault("smoke", []).append(checked.to_dict())
    if not checked.ok:
        raise RunFailed(f"{environment} still fails its smoke checks: {checked.summary()}")
    revert = f", pins reverted in {reverted[:10]}" if reverted else ""
    return f"{environment} back on PHP {old}{revert}; smoke checks pass"
