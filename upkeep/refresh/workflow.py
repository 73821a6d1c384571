"""``upkeep refresh``: clone production into staging, as a pipeline of named steps.

check → lock → back up the target → stream the database (sanitized, URLs
rewritten) → sync shared files → deploy production's commit → verify → smoke
→ unlock, run by the pipeline (``upkeep.pipeline``). The source is only ever read: its schema and sizes, its dump and
its files, all through the read-only dump user or rsync's reading side. The
check changes nothing, so a bad sanitize rule, an unreachable host or too
little room on the target stops the run before the lock is even taken. Once
the backup exists, any failure restores it (and the code the target ran):
that is the backup step's undo. The lock is always released.

    >>> report = refresh(workspace, project, pins)           # doctest: +SKIP
    >>> [step.name for step in report.steps]                 # doctest: +SKIP
    ['check', 'lock', 'backup', 'database', 'files', 'code', 'verify', 'smoke']
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from upkeep import credentials
from upkeep.envlocks import environment_lock
from upkeep.errors import RunFailed, UpkeepError, UsageError
from upkeep.inventory import Environment, Host, Project
from upkeep.inventory.pins import Pins
from upkeep.layout import SiteLayout
from upkeep.locks import Lock, holding
from upkeep.pipeline import Pipeline, RunState, Step, StepRecord, StepState
from upkeep.progress import Meter, Tick
from upkeep.provision.workflow import provision
from upkeep.refresh import database, preflight, stream
from upkeep.refresh.backup import BackupPlan, backup_script, restore_script
from upkeep.refresh.files import rsync
from upkeep.refresh.identity import read_identity
from upkeep.refresh.sanitize import RuleSet
from upkeep.refresh.transform import Transformer, TransformReport, for_refresh
from upkeep.refresh.urls import site_url
from upkeep.refresh.verify import TargetScan, compare_counts
from upkeep.refresh.wire import GZIP, Wire
from upkeep.smoke import smoke
from upkeep.ssh import check_root, root_command, run_root, ssh_argv
from upkeep.workspace import Workspace

Say = Callable[[str], None]
BACKUP_ID = re.compile(r"\d{8}T\d{6}Z")  # a backup's directory name: when it was taken


def refresh_pipeline(*, db_only: bool, files_only: bool, outside: bool) -> Pipeline[_Refresh]:
    """The refresh's steps for these options; the backup's undo restores the target."""
    steps: list[Step[_Refresh]] = [
        Step("backup", _backup, undo=_restore_target, restores="the target")
    ]
    if not files_only:
        steps.append(Step("database", _database))
    if not db_only:
        steps.append(Step("files", _files))
    if not files_only and not outside:
        steps.append(Step("code", _code))
    steps += [Step("verify", _verify), Step("smoke", _smoke)]
    return Pipeline(
        "refresh",
        tuple(steps),
        checks=(Step("check", _check),),
        locked=True,
        lock_detail=_held_by,
    )


@dataclass(frozen=True)
class DataSummary:
    """What happened to the data on the way; counts only, never a value."""

    tables: int = 0
    rows: int = 0
    values_sanitized: int = 0
    urls_rewritten: int = 0
    serialized_rewritten: int = 0
    truncated: tuple[str, ...] = ()
    addresses_checked: int = 0
    serialized_checked: int = 0


@dataclass(frozen=True)
class RefreshReport:
    project: str
    source: str
    target: str
    ok: bool
    steps: tuple[StepRecord, ...]
    error: str | None = None
    restored: bool = False
    rows: dict[str, int] = field(default_factory=dict)
    data: DataSummary = DataSummary()
    source_ref: str | None = None
    dumped: dict[str, int] = field(default_factory=dict)  # rows per table in the dump
    backup: str | None = None  # where the target's backup is, on the target's first host
    target_host: str | None = None
    restore_failed: bool = False  # the target is half-refreshed: restore it from ``backup``
    pins: Pins | None = field(
        default=None, compare=False
    )  # after the run, for a caller's next step

    def to_dict(self) -> dict[str, Any]:
        data = {name: value for name, value in asdict(self).items() if name != "pins"}
        return {**data, "steps": [step.to_dict() for step in self.steps]}


@dataclass(frozen=True)
class TablePlanLine:
    table: str
    rows: int  # InnoDB's estimate
    bytes: int
    action: str  # copy, truncate, or the columns sanitized


@dataclass(frozen=True)
class RefreshPlan:
    """What a refresh would do, read from both ends (``--dry-run``); nothing changed."""

    project: str
    source: str
    target: str
    url_map: tuple[tuple[str, str], ...]
    tables: tuple[TablePlanLine, ...]
    shared_paths: tuple[str, ...]
    exclude_files: tuple[str, ...]
    source_ref: str
    database_bytes: int
    target_free_bytes: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class RefreshFailed(RunFailed):
    def __init__(self, report: RefreshReport) -> None:
        self.report = report
        super().__init__(
            f"refresh of {report.project} {report.target} failed: {report.error} "
            f"({outcome(report)})"
        )


def outcome(report: RefreshReport) -> str:
    """What a failed refresh left behind, in words that are true."""
    if report.restore_failed:
        return (
            f"{report.target} is HALF-REFRESHED and its restore failed; its backup is "
            f"{report.backup} on {report.target_host}: restore it with `upkeep refresh "
            f"{report.project} --to {report.target} --restore {report.backup}`"
        )
    if report.restored:
        return f"{report.target} was restored from its backup {report.backup}"
    return "nothing was changed"


TransformFactory = Callable[[], stream.Transform]


@dataclass
class _Refresh:
    workspace: Workspace
    project: Project
    pins: Pins  # as upkeep last wrote them: the code step's deploy passes on its own
    source: Environment
    target: Environment
    say: Say
    tick: Tick
    transform_factory: TransformFactory | None  # None: the project's rules (what users get)
    db_only: bool
    files_only: bool
    rules: RuleSet
    outside: bool = False  # the target is not one of the inventory's (a developer's machine)
    target_url: str | None = None  # the target's base URL, when not its domain's
    streams: int | None = None  # the database's streams; None: as many as the hosts' cores
    facts: preflight.SourceFacts | None = None
    wire: Wire = GZIP  # how the dump is packed between the hosts; zstd where both have it
    source_ref: str = ""
    target_ref_before: str | None = None  # set once the code step has moved the target
    backup: str | None = None
    salt: bytes = field(default_factory=lambda: os.urandom(32))  # this refresh's only
    transform: TransformReport | None = None
    dumped: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    data: DataSummary = DataSummary()

    @property
    def source_host(self) -> Host:
        return self.source.hosts[0]

    @property
    def target_host(self) -> Host:
        return self.target.hosts[0]

    def layout(self, environment: Environment) -> SiteLayout:
        return SiteLayout.of(self.project.name, str(environment.name))

    @property
    def dump_defaults(self) -> str:
        """The source's read-only dump user's client settings (written by provision)."""
        return self.layout(self.source).dump_defaults

    @property
    def source_database(self) -> str:
        return self.project.database_of(str(self.source.name)).name

    @property
    def target_database(self) -> str:
        """The target's own database: environments sharing a host each have one."""
        own = self.target.database
        if self.outside:  # a developer's environment: the project's database unless it names one
            return own.name if own and own.name else self.project.database.name
        return self.project.database_of(str(self.target.name)).name


def refresh(
    workspace: Workspace,
    project: Project,
    pins: Pins,
    *,
    source: str = "production",
    target: str = "staging",
    transform_factory: TransformFactory | None = None,
    db_only: bool = False,
    files_only: bool = False,
    force_unlock: bool = False,
    say: Say = lambda _: None,
    tick: Tick = lambda _: None,
    target_environment: Environment | None = None,
    target_url: str | None = None,
    streams: int | None = None,
) -> RefreshReport:
    """Refresh ``target`` from ``source``; RefreshFailed (with its report) when it failed.

    ``transform_factory`` replaces the project's sanitize rules and URL rewrite
    with another transform (tests of the plumbing use the identity).

    ``target_environment`` is a target outside the inventory, called ``target``
    (a developer's local environment, ``upkeep.dev``): only its database is
    refreshed (``db_only``; its code and files are its own), with the same
    check, backup, sanitizing, verify and smoke. ``target_url`` is its base URL
    when its domain alone does not say it (``http://localhost:8080``).

    ``streams``: the database in that many streams at once, from one snapshot
    (``upkeep.refresh.parallel``); None: as many as the smaller end has cores;
    1: one stream, one ``mariadb-dump``.
    """
    run = _prepare(
        workspace,
        project,
        pins,
        source,
        target,
        db_only,
        files_only,
        say,
        tick,
        transform_factory,
        target_environment,
    )
    run.target_url = target_url
    if streams is not None and streams < 1:
        raise UsageError(f"--streams {streams}: give 1 or more")
    run.streams = streams
    job = refresh_pipeline(db_only=db_only, files_only=files_only, outside=run.outside)
    purpose = f"refresh {project.name} {source}→{target}"
    journal = job.run(
        run,
        job.start(project.name),
        locks=lambda: _target_lock(run, purpose, force_unlock),
        say=say,
    )
    failed = next((step for step in journal.steps if step.state is StepState.FAILED), None)
    error = failed.detail if failed else None
    restored = (
        failed is not None and run.backup is not None and journal.state is RunState.ROLLED_BACK
    )
    report = RefreshReport(
        run.project.name,
        source,
        target,
        error is None,
        tuple(step for step in journal.steps if step.state is StepState.DONE),
        error,
        restored,
        run.rows,
        run.data,
        run.source_ref,
        dumped=run.dumped,
        backup=run.backup,
        target_host=run.target_host.name,
        restore_failed=run.backup is not None and failed is not None and not restored,
        pins=run.pins,
    )
    if error is not None:
        raise RefreshFailed(report)
    return report


def _target_lock(run: _Refresh, purpose: str, force_unlock: bool) -> list[Lock]:
    """The target's lock, taken once the check passed (``--force-unlock``: removed first)."""
    lock = environment_lock(run.project.name, run.target, purpose)
    if force_unlock:
        lock.force_unlock()
    return [lock]


def _held_by(held: Sequence[Lock]) -> str:
    return "; ".join(lock.info.describe() for lock in held if lock.info is not None)


def restore(
    workspace: Workspace,
    project: Project,
    target: str,
    backup: str,
    *,
    say: Say = lambda _: None,
) -> str:
    """``refresh --restore``: put ``target``'s database and shared files back from a backup.

    What a half-refreshed target needs when a refresh's own restore failed;
    the same guards as a refresh: never production, never the source's own
    database, the target's lock held.
    """
    run = _prepare(
        workspace,
        project,
        Pins(project=project.name),  # a restore neither reads nor writes pins
        "production",
        target,
        False,
        False,
        say,
        lambda _: None,
        None,
    )
    backup_plan = _backup_plan(run)
    name = backup.rstrip("/").rsplit("/", 1)[-1]
    if backup.rstrip("/") != f"{backup_plan.backups_dir}/{name}" or not BACKUP_ID.fullmatch(name):
        raise UsageError(
            f"--restore {backup[:200]!r} is not a backup of {target} (they are "
            f"{backup_plan.backups_dir}/YYYYMMDDTHHMMSSZ)"
        )
    _refuse_same_database(run)
    lock = environment_lock(run.project.name, run.target, f"restore {run.project.name} {target}")
    with holding([lock]):
        say(f"restoring {target} from {backup}")
        check_root(run.target_host, restore_script(backup_plan, backup), f"restoring {target}")
    return (
        f"{target}'s database and shared files are back as {backup} holds them; its code is "
        f"what its pin says (`upkeep provision {run.project.name} {target}` deploys it)"
    )


def plan(
    workspace: Workspace,
    project: Project,
    pins: Pins,
    *,
    source: str = "production",
    target: str = "staging",
    db_only: bool = False,
    files_only: bool = False,
    say: Say = lambda _: None,
) -> RefreshPlan:
    """The dry run: the check, and what each table would go through. Changes nothing."""
    run = _prepare(
        workspace, project, pins, source, target, db_only, files_only, say, lambda _: None, None
    )
    _check(run)
    facts = run.facts or preflight.SourceFacts({}, {})
    lines = []
    if not files_only:
        for table in sorted(facts.sizes):
            size = facts.sizes[table]
            lines.append(TablePlanLine(table, size.rows, size.bytes, _action(run, table)))
    space = preflight.target_space(run.target_host, run.target_database)
    return RefreshPlan(
        run.project.name,
        source,
        target,
        tuple(_url_map(run)),
        tuple(lines),
        () if db_only else tuple(run.project.shared_paths),
        tuple(run.project.sanitize.exclude_files),
        run.source_ref,
        facts.bytes,
        space.database_free,
    )


def _prepare(
    workspace: Workspace,
    project: Project,
    pins: Pins,
    source: str,
    target: str,
    db_only: bool,
    files_only: bool,
    say: Say,
    tick: Tick,
    transform_factory: TransformFactory | None,
    target_environment: Environment | None = None,
) -> _Refresh:
    if target == "production":
        raise UsageError("production is never the target of a refresh (use --to staging or dev)")
    if source == target:
        raise UsageError(f"--from and --to are both {source}")
    if db_only and files_only:
        raise UsageError("--db-only and --files-only exclude each other")
    if target_environment is not None and not db_only:
        raise UsageError(f"{target} is not in the inventory: only its database is refreshed")
    return _Refresh(
        workspace,
        project,
        pins,
        project.environment(source),
        target_environment or project.environment(target),
        say,
        tick,
        transform_factory,
        db_only,
        files_only,
        RuleSet.from_project(project),
        outside=target_environment is not None,
    )


# -- the steps ----------------------------------------------------------------
def _check(run: _Refresh) -> str:
    """Everything that can be known before changing anything; raises at the first problem."""
    _refuse_same_database(run)
    if not run.files_only:
        pin = run.pins.get(str(run.source.name))
        if not pin.ref:
            raise UsageError(f"{run.source.name} has no deployed commit pinned: provision it first")
        run.source_ref = pin.ref
    run.facts = preflight.source_facts(run.source_host, run.source_database, run.dump_defaults)
    if not run.facts.columns:
        raise RunFailed(
            f"{run.source.name} has no tables in {run.source_database}: nothing to copy"
        )
    detail = (
        f"{len(run.facts.columns)} tables, ~{run.facts.bytes / 1e6:.1f} MB on {run.source.name}"
    )
    if run.files_only:
        return detail
    if run.transform_factory is None:
        run.rules.require(run.facts.columns)  # a rule that fits nothing: exit 2, nothing changed
        detail += ", sanitize rules fit"
    space = preflight.target_space(run.target_host, run.target_database)
    missing = space.shortfall(run.facts)
    if missing:
        raise RunFailed(
            f"{run.target.name} needs about {missing / 1e6:.0f} MB more free space for the "
            f"database ({space.database_free / 1e6:.0f} MB free where it lives): nothing was changed"
        )
    return detail


def _refuse_same_database(run: _Refresh) -> None:
    """Names can lie (an alias, a copied inventory): ask both servers who they are."""
    if run.files_only:
        return
    source = read_identity(run.source_host, run.source_database)
    target = read_identity(run.target_host, run.target_database)
    if source.same_database(target):
        raise UsageError(
            f"{run.target.name}'s database is {run.source.name}'s own ({source.describe()}, "
            f"reached through {run.source_host.address} and {run.target_host.address}): "
            f"nothing was changed; give {run.target.name} its own database under "
            f"environments.{run.target.name}.database"
        )


def _backup_plan(run: _Refresh) -> BackupPlan:
    return BackupPlan.of(
        run.layout(run.target),
        database=run.target_database,
        shared_paths=tuple(run.project.shared_paths),
        keep=run.project.backups.keep,
    )


def _backup(run: _Refresh) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = check_root(run.target_host, backup_script(_backup_plan(run), stamp), "the backup")
    run.backup = out.strip().splitlines()[-1]
    return f"target backed up to {run.backup}"


def _restore_target(run: _Refresh) -> str:
    """The backup step's undo: the target back as it was, or RunFailed (half-refreshed)."""
    if run.backup is None:
        return "no backup was taken: nothing to restore"
    if not _restore(run):
        raise RunFailed(f"{run.target.name} was not restored from {run.backup}")
    return f"{run.target.name} restored from {run.backup}"


def _restore(run: _Refresh) -> bool:
    """Put the target back as the backup holds it, and its code as it was."""
    if run.backup is None:
        return False
    run.say(f"restoring the target from {run.backup}")
    code, out = run_root(run.target_host, restore_script(_backup_plan(run), run.backup))
    if code != 0:
        run.say(
            f"RESTORE FAILED ({credentials.redact(out.strip())[-300:]}); restore by hand from {run.backup}"
        )
        return False
    if run.target_ref_before is not None and run.target_ref_before != run.source_ref:
        try:
            _deploy(run, run.target_ref_before)
        except UpkeepError as failure:
            run.say(f"the database and files are back, but the code is not: {failure}")
            return False
    return True


def _transform(run: _Refresh) -> stream.Transform:
    if run.transform_factory is not None:
        return run.transform_factory()
    if run.target_url is not None:
        return Transformer(run.rules, _url_map(run), run.salt, schema=_schema(run))
    source, target = run.source, run.target
    return for_refresh(run.project, source, target, run.salt, schema=_schema(run))


def _ends(run: _Refresh) -> database.Ends:
    return database.Ends(
        run.source_host,
        run.dump_defaults,
        run.source_database,
        run.target_host,
        _backup_plan(run),
        run.wire,
    )


def _schema(run: _Refresh) -> Mapping[str, tuple[str, ...]]:
    return run.facts.columns if run.facts else {}


def _database(run: _Refresh) -> str:
    meter = Meter("database", total=run.facts.bytes if run.facts else None)
    hosts = database.ask_hosts(run.source_host, run.target_host)
    run.wire = hosts.wire
    streams, why_one = database.streams(run.facts, run.streams, hosts.cores)
    transforms: list[stream.Transform] = []

    def new_transform() -> stream.Transform:
        transforms.append(_transform(run))
        return transforms[-1]

    def progress(dump_in: int, _dump_out: int) -> None:
        counting = [t for t in transforms if isinstance(t, Transformer)]
        rows = sum(t.rows_read() for t in counting) if counting else None
        run.tick(meter.line(dump_in, rows))

    # Only the project's rules are known to truncate; a given transform's are not.
    dropped = run.rules.truncated(_schema(run)) if run.transform_factory is None else set()
    stats = database.copy(_ends(run), run.facts, streams, new_transform, progress, dropped=dropped)
    reports = [t.report() for t in transforms if isinstance(t, Transformer)]
    if reports:
        report = run.transform = TransformReport.merged(reports)
        if not report.completed:
            raise RunFailed("the dump ended before its last line: the source stopped early")
        run.dumped = report.rows_in()
        run.data = DataSummary(
            tables=len(report.tables),
            rows=sum(run.dumped.values()),
            values_sanitized=report.values_sanitized,
            urls_rewritten=report.urls_rewritten,
            serialized_rewritten=report.serialized_rewritten,
            truncated=tuple(sorted(report.truncated)),
        )
    rate = stats.dump_in / max(stats.seconds, 1e-9) / 1e6
    detail = (
        f"{stats.dump_in / 1e6:.1f} MB dumped ({rate:.1f} MB/s), "
        f"{(stats.wire_in + stats.wire_out) / 1e6:.1f} MB on the wire ({run.wire.name}), "
        f"{_count(streams, 'stream')}{why_one}"
    )
    if run.transform is not None:
        detail += (
            f"; {run.data.rows} rows, {run.data.values_sanitized} values sanitized, "
            f"{run.data.urls_rewritten} URLs rewritten "
            f"({run.data.serialized_rewritten} in serialized data), "
            f"truncated: {', '.join(run.data.truncated) or 'none'}"
        )
    return detail


def _files(run: _Refresh) -> str:
    """Shared files: source → a mirror in the workspace cache → target, both with rsync."""
    mirror = run.workspace.cache / "files" / run.project.name / str(run.source.name)
    source, target = run.layout(run.source), run.layout(run.target)
    excludes = [f"--exclude={pattern}" for pattern in run.project.sanitize.exclude_files]
    files = size = 0
    for path in run.project.shared_paths:
        local = mirror / path
        local.mkdir(parents=True, exist_ok=True)
        run.tick(f"files: fetching {path} from {run.source.name}")
        rsync(run.source_host, f":{source.shared(path)}/", f"{local}/", excludes, pull=True)
        run.tick(f"files: sending {path} to {run.target.name}")
        stats = rsync(
            run.target_host, f"{local}/", f":{target.shared(path)}/", excludes, owner=target.site_id
        )
        files += stats[0]
        size += stats[1]
    shown = f", excluding {', '.join(run.project.sanitize.exclude_files)}" if excludes else ""
    return (
        f"{_count(len(run.project.shared_paths), 'shared path')} synchronised{shown}: "
        f"{_count(files, 'file')} ({size / 1e6:.1f} MB) sent to {run.target.name}"
    )


def _code(run: _Refresh) -> str:
    run.target_ref_before = run.pins.get(str(run.target.name)).ref or run.source_ref
    _deploy(run, run.source_ref)
    return f"{run.target.name} runs {run.source_ref[:10]}, as {run.source.name} does"


def _deploy(run: _Refresh, ref: str) -> None:
    result = provision(
        run.workspace, run.project, run.pins, [str(run.target.name)], deploy_ref=ref, say=run.tick
    )
    if not result.ok:
        raise RunFailed(f"deploying {ref[:10]} on {run.target.name} failed")
    run.pins = result.pins


def _verify(run: _Refresh) -> str:
    if run.files_only:
        return "database not refreshed: nothing to count"
    # What the dump carried, as the transformer counted it; without one (the plumbing's
    # tests), the source's rows now, read as the dump user.
    dumped = run.dumped or preflight.table_counts(
        run.source_host, run.source_database, run.dump_defaults
    )
    target = preflight.table_counts(run.target_host, run.target_database)
    truncated = run.rules.truncated(dumped) if run.transform_factory is None else set()
    wrong = compare_counts(dumped, target, truncated)
    if wrong:
        raise RunFailed("row counts differ: " + "; ".join(wrong))
    run.rows = target
    detail = f"{len(target)} tables, {sum(target.values())} rows, counts match"
    if run.transform is None:
        return detail
    scan = TargetScan(run.salt, run.transform.email_fingerprints, run.target.domain)
    meter = Meter("verify: scanning the target")
    stream.read(
        ssh_argv(
            run.target_host,
            root_command(
                f"mariadb-dump --skip-comments --single-transaction --quick "
                f"{shlex.quote(run.target_database)} | {run.wire.pack}"
            ),
        ),
        scan.feed,
        lambda done: run.tick(meter.line(done)),
        wire=run.wire,
    )
    found = scan.close()
    if not found.leaks.clean:
        where = ", ".join(f"{table} ({n})" for table, n in sorted(found.leaks.leaks.items()))
        raise RunFailed(f"source e-mail addresses remain on {run.target.name} in: {where}")
    if found.serialized_broken:
        where = ", ".join(f"{t} ({n})" for t, n in sorted(found.serialized_broken.items()))
        raise RunFailed(f"serialized values on {run.target.name} do not parse in: {where}")
    run.data = DataSummary(
        **{
            **asdict(run.data),
            "addresses_checked": found.leaks.addresses_checked,
            "serialized_checked": found.serialized_checked,
        }
    )
    return (
        f"{detail}; {len(run.transform.email_fingerprints)} source addresses sanitized, none "
        f"of them among the {found.leaks.addresses_checked} on {run.target.name}; "
        f"{found.serialized_checked} serialized values naming {run.target.domain} parse"
    )


def _smoke(run: _Refresh) -> str:
    result = smoke(run.project, run.target, base_url=run.target_url)
    if not result.ok:
        raise RunFailed(
            f"{run.target.name} fails its smoke checks after the refresh: {result.summary()}"
        )
    return result.summary()


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


# -- the dry run's table --------------------------------------------------------
def _action(run: _Refresh, table: str) -> str:
    if run.rules.truncates(table):
        return "truncate"
    columns = _schema(run).get(table, ())
    rules = run.rules.for_table(table, columns)
    names = [f"{columns[index]}: {kind}" for index, kind, _ in rules.columns]
    if rules.rows:
        names.append(f"{len(rules.rows)} row rules")
    return "sanitize " + ", ".join(names) if names else "copy"


def _url_map(run: _Refresh) -> list[tuple[str, str]]:
    target = run.target_url or site_url(run.target.domain, run.target.tls)
    return [(site_url(run.source.domain, run.source.tls), target)]
