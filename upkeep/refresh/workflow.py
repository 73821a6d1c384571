"""``upkeep refresh``: clone production into staging, as a pipeline of named steps.

lock → back up the target → stream the database (transformed) → sync shared
files → deploy production's commit → verify → smoke → unlock. The source is
only ever read. Once the backup exists, any failure restores it before the
error is raised, and the lock is always released.

    >>> report = refresh(workspace, "demo", transform_factory=Passthrough)   # doctest: +SKIP
    >>> [step.name for step in report.steps]                                # doctest: +SKIP
    ['lock', 'backup', 'database', 'files', 'code', 'verify', 'smoke']
"""

from __future__ import annotations

import datetime as dt
import json
import shlex
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from upkeep import secrets
from upkeep.desired import base_dir
from upkeep.errors import RunFailed, UpkeepError, UsageError
from upkeep.inventory import Environment, Host, Project, load_project
from upkeep.inventory.pins import load_pins
from upkeep.locks import Lock
from upkeep.provision.workflow import provision
from upkeep.refresh import stream
from upkeep.refresh.backup import BackupPlan, backup_script, drop_all_tables, restore_script
from upkeep.ssh import check_root, root_command, run_root, ssh_argv, ssh_options
from upkeep.workspace import Workspace

Say = Callable[[str], None]
DUMP_OPTIONS = "--single-transaction --quick --routines --triggers --events"


@dataclass(frozen=True)
class StepRecord:
    name: str
    seconds: float
    detail: str


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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Refresh:
    workspace: Workspace
    project: Project
    source: Environment
    target: Environment
    say: Say
    transform_factory: Callable[[], stream.Transform]
    db_only: bool
    files_only: bool
    steps: list[StepRecord] = field(default_factory=list)
    backup: str | None = None
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def source_host(self) -> Host:
        return self.source.hosts[0]

    @property
    def target_host(self) -> Host:
        return self.target.hosts[0]

    def site_dir(self, environment: Environment) -> str:
        return base_dir(self.project.name, str(environment.name))


def refresh(
    workspace: Workspace,
    project_name: str,
    *,
    source: str = "production",
    target: str = "staging",
    transform_factory: Callable[[], stream.Transform] = stream.Passthrough,
    db_only: bool = False,
    files_only: bool = False,
    force_unlock: bool = False,
    say: Say = lambda _: None,
) -> RefreshReport:
    if target == "production":
        raise UsageError("production is never the target of a refresh (use --to staging or dev)")
    if source == target:
        raise UsageError(f"--from and --to are both {source}")
    project = load_project(workspace, project_name)
    run = _Refresh(
        workspace, project, project.environment(source), project.environment(target), say,
        transform_factory, db_only, files_only,
    )  # fmt: skip
    lock = Lock(
        f"/var/lib/upkeep/locks/{project.name}-{target}",
        f"refresh {project.name} {source}→{target}",
        lambda script: run_root(run.target_host, script),
    )
    if force_unlock:
        lock.force_unlock()
    error: str | None = None
    restored = False
    _run_step(run, "lock", lambda: lock.acquire().describe())
    try:
        for name, step in _steps(run):
            _run_step(run, name, step)
    except (UpkeepError, subprocess.TimeoutExpired) as failure:
        error = secrets.redact(str(failure))
        restored = _restore(run)
    except BaseException:
        _restore(run)  # a bug or an interrupt: still put the target back, then let it show
        raise
    finally:
        lock.release()
    report = RefreshReport(
        project.name, source, target, error is None, tuple(run.steps), error, restored, run.rows
    )
    if error is not None:
        raise RefreshFailed(report)
    return report


class RefreshFailed(RunFailed):
    def __init__(self, report: RefreshReport) -> None:
        self.report = report
        restored = (
            "the target was restored from its backup" if report.restored else "nothing was changed"
        )
        super().__init__(
            f"refresh of {report.project} {report.target} failed: {report.error} ({restored})"
        )


def _steps(run: _Refresh) -> list[tuple[str, Callable[[], str]]]:
    steps: list[tuple[str, Callable[[], str]]] = [("backup", lambda: _backup(run))]
    if not run.files_only:
        steps.append(("database", lambda: _database(run)))
    if not run.db_only:
        steps.append(("files", lambda: _files(run)))
    steps += [
        ("code", lambda: _code(run)),
        ("verify", lambda: _verify(run)),
        ("smoke", lambda: _smoke(run)),
    ]
    return steps


def _run_step(run: _Refresh, name: str, step: Callable[[], str]) -> None:
    """Run one step; record how long it took and what it said."""
    run.say(f"{name} …")
    started = time.monotonic()
    detail = step()
    seconds = time.monotonic() - started
    run.steps.append(StepRecord(name, round(seconds, 2), detail))
    run.say(f"{name}: {detail} ({seconds:.1f} s)")


# -- the steps ----------------------------------------------------------------
def _backup_plan(run: _Refresh) -> BackupPlan:
    target_dir = run.site_dir(run.target)
    return BackupPlan(
        base_dir=target_dir,
        backups_dir=f"/var/backups/upkeep/{Path(target_dir).name}",
        database=run.project.database.name,
        shared_paths=tuple(run.project.shared_paths),
    )


def _backup(run: _Refresh) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out = check_root(run.target_host, backup_script(_backup_plan(run), stamp), "the backup")
    run.backup = out.strip().splitlines()[-1]
    return f"target backed up to {run.backup}"


def _restore(run: _Refresh) -> bool:
    if run.backup is None:
        return False
    run.say(f"restoring the target from {run.backup}")
    code, out = run_root(run.target_host, restore_script(_backup_plan(run), run.backup))
    if code != 0:
        run.say(
            f"RESTORE FAILED ({secrets.redact(out.strip())[-300:]}); restore by hand from {run.backup}"
        )
        return False
    return True


def _database(run: _Refresh) -> str:
    database = shlex.quote(run.project.database.name)
    defaults = f"/etc/upkeep/{Path(run.site_dir(run.source)).name}-dump.cnf"
    dump = f"mariadb-dump --defaults-extra-file={defaults} {DUMP_OPTIONS} {database} | gzip -1"
    plan = _backup_plan(run)
    load = f"{drop_all_tables(plan)} && gunzip | mariadb {database}"
    last = [0.0]

    def progress(dump_in: int, dump_out: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 2:
            last[0] = now
            run.say(f"database: {dump_in / 1e6:.1f} MB read, {dump_out / 1e6:.1f} MB written")

    stats = stream.pipe(
        ssh_argv(run.source_host, root_command(dump)),
        ssh_argv(run.target_host, root_command(load)),
        run.transform_factory(),
        progress,
    )
    return (
        f"{stats.dump_in / 1e6:.1f} MB dumped, {stats.dump_out / 1e6:.1f} MB imported, "
        f"{(stats.wire_in + stats.wire_out) / 1e6:.1f} MB on the wire"
    )


def _files(run: _Refresh) -> str:
    """Shared files: source → a mirror in the workspace cache → target, both with rsync."""
    mirror = run.workspace.cache / "files" / run.project.name / str(run.source.name)
    source_dir, target_dir = run.site_dir(run.source), run.site_dir(run.target)
    owner = Path(target_dir).name
    for path in run.project.shared_paths:
        local = mirror / path
        local.mkdir(parents=True, exist_ok=True)
        _rsync(run.source_host, f":{source_dir}/shared/{path}/", f"{local}/", pull=True)
        _rsync(run.target_host, f"{local}/", f":{target_dir}/shared/{path}/", owner=owner)
    return f"{len(run.project.shared_paths)} shared paths synchronised"


def _rsync(
    host: Host, source: str, destination: str, pull: bool = False, owner: str | None = None
) -> None:
    remote = f"{host.user}@{host.address}"
    argv = [
        "rsync", "-a", "--delete", "--rsync-path=sudo rsync",
        "-e", " ".join(shlex.quote(part) for part in ssh_options(host)),
    ]  # fmt: skip
    if owner:
        argv.append(f"--chown={owner}:{owner}")
    argv += [remote + source, destination] if pull else [source, remote + destination]
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        raise RunFailed(f"rsync with {host.name} failed: {done.stderr.strip()[-400:]}")


def _code(run: _Refresh) -> str:
    pin = load_pins(run.workspace, run.project.name).get(str(run.source.name))
    if not pin.ref:
        raise UsageError(f"{run.source.name} has no deployed commit pinned: provision it first")
    result = provision(
        run.workspace,
        run.project.name,
        [str(run.target.name)],
        deploy_ref=pin.ref,
        say=lambda _: None,
    )
    if not result.ok:
        raise RunFailed(f"deploying {pin.ref[:10]} on {run.target.name} failed")
    return f"{run.target.name} runs {pin.ref[:10]}, as {run.source.name} does"


def _table_counts(host: Host, database: str) -> dict[str, int]:
    q = shlex.quote(database)
    script = (
        f"for t in $(mariadb -N -B -e 'SHOW TABLES' {q}); do "
        f'printf \'%s\\t\' "$t"; mariadb -N -B -e "SELECT COUNT(*) FROM \\`$t\\`" {q}; done'
    )
    out = check_root(host, script, "counting rows")
    counts = {}
    for line in out.splitlines():
        table, _, count = line.partition("\t")
        if count.strip().isdigit():
            counts[table] = int(count)
    return counts


def _verify(run: _Refresh) -> str:
    if run.files_only:
        return "database not refreshed: nothing to count"
    database = run.project.database.name
    source, target = (
        _table_counts(run.source_host, database),
        _table_counts(run.target_host, database),
    )
    truncated = set(getattr(run.transform_factory(), "truncated_tables", ()) or ())
    wrong = [
        f"{table}: {source[table]} on {run.source.name}, {target.get(table)} on {run.target.name}"
        for table in sorted(source)
        if table not in truncated and target.get(table) != source[table]
    ]
    if wrong:
        raise RunFailed("row counts differ: " + "; ".join(wrong))
    run.rows = target
    return f"{len(source)} tables, {sum(source.values())} rows, counts match"


def _smoke(run: _Refresh) -> str:
    domain = run.target.domain
    scheme, port = ("http", 80) if run.target.tls == "none" else ("https", 443)
    url = f"{scheme}://{domain}{run.project.app.health_path}"
    script = (
        f"curl -sk --max-time 20 --resolve {domain}:{port}:127.0.0.1 "
        f"-o /dev/stdout -w '\\n%{{http_code}}' {shlex.quote(url)}"
    )
    out = check_root(run.target_host, script, "the health check").rstrip().rsplit("\n", 1)
    body, status = (out[0], out[1]) if len(out) == 2 else ("", out[0])
    if status != "200":
        raise RunFailed(f"{url} answered {status} after the refresh")
    try:
        health = json.loads(body)
    except ValueError:
        health = {}
    if health.get("status") not in (None, "ok"):
        raise RunFailed(f"{url} says {health.get('status')!r} after the refresh")
    return f"{url} answers 200"
