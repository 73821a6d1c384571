"""Benchmark: what the state store costs a run, on SQLite and on PostgreSQL.

An update saves its journal after every step, and every command goes on
record twice (when it starts, when it ends). Before the store, a journal was
a JSON file replaced atomically; that write is the baseline, measured here in
the same run. For each engine, in a fresh store:

- journal saves: ``JournalStore.save`` of a 9-step update journal, each save
  opening the store as the pipeline does (a connection per save);
- run records: a run recorded as started, then ended (two upserts);
- ``upkeep runs``: the newest 50 of all runs recorded, for one project.

And the monitoring history, now in the store, against the separate SQLite
``monitor.db`` it was before (upkeep.monitor.history as of ``BEFORE_STORE``,
loaded from git, as the baseline in the same run):

- 10,000 check results recorded as check runs record them: a run per project
  of 16 results at once (``one_recorder``, open the history, ``record``);
- a month's SLA report for 50 projects through ``report_from_history`` (what
  ``upkeep sla report`` calls), over a month of results every 30 minutes
  per project (1,440 each, 72,000 in all) with an outage each.

    python benchmarks/bench_state.py                  # 1,000 of each, 10,000 results
    python benchmarks/bench_state.py --count 100 --results 1000   # a quick look
    UPKEEP_BENCH_DATABASE_URL=postgresql://... python benchmarks/bench_state.py

PostgreSQL is the one UPKEEP_BENCH_DATABASE_URL names (an empty database),
else a database made on the local server the tests set up (Debian's
``postgresql``, tests/postgresql.py). Prints a table; the figures are
measurements, never assertions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from upkeep.atomic import write_atomic  # noqa: E402
from upkeep.inventory import Project, load_project  # noqa: E402
from upkeep.monitor.history import History, one_recorder  # noqa: E402
from upkeep.monitor.result import CheckResult, Status  # noqa: E402
from upkeep.pipeline import JournalStore  # noqa: E402
from upkeep.sla.monthly import period_report, report_from_history  # noqa: E402
from upkeep.state import Location, Run, locate, open_store  # noqa: E402
from upkeep.state.runs import STARTED  # noqa: E402
from upkeep.update.runs import started  # noqa: E402
from upkeep.update.workflow import STEPS  # noqa: E402
from upkeep.workspace import Workspace  # noqa: E402

PROJECTS = tuple(f"site{n}" for n in range(1, 51))
# The last commit whose monitoring history was its own SQLite file (the baseline).
BEFORE_STORE = "edcc003"
PER_RUN = 16  # results a check run records at once for one project
MONTH = "2026-11"
MONTH_START = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


@contextmanager
def postgresql() -> Iterator[Location]:
    """An empty PostgreSQL store: UPKEEP_BENCH_DATABASE_URL's, or a fresh local database."""
    given = os.environ.get("UPKEEP_BENCH_DATABASE_URL")
    if given:
        yield locate({"UPKEEP_DATABASE_URL": given})
        return
    import psycopg

    from tests.postgresql import start_server, stop_using

    server = start_server()
    name = f"upkeep_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server.url("postgres"), autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name}")
    try:
        yield locate({"UPKEEP_DATABASE_URL": server.url(name)})
    finally:
        with psycopg.connect(server.url("postgres"), autocommit=True) as db:
            db.execute(f"DROP DATABASE {name} WITH (FORCE)")
        stop_using(server)


def timed(count: int, action: Callable[[int], None]) -> float:
    start = time.perf_counter()
    for n in range(count):
        action(n)
    return time.perf_counter() - start


def file_journals(folder: Path, count: int) -> float:
    """The baseline: the journal as a file, replaced whole (the JournalStore of before)."""
    journal = started("site1", "8.2.32-1~deb12u1", "8.2.36-1~deb12u1", STEPS)
    path = folder / "updates" / "site1.json"
    path.parent.mkdir(parents=True)

    def save(n: int) -> None:
        journal.step(STEPS[n % len(STEPS)]).begin()
        write_atomic(path, json.dumps(journal.to_dict(), indent=2) + "\n", mode=0o600)

    return timed(count, save)


def store_journals(location: Location, count: int) -> float:
    journals = JournalStore("update", location=location)
    journal = started("site1", "8.2.32-1~deb12u1", "8.2.36-1~deb12u1", STEPS)

    def save(n: int) -> None:
        journal.step(STEPS[n % len(STEPS)]).begin()
        journals.save(journal)

    return timed(count, save)


def run_records(location: Location, count: int) -> float:
    moment = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)

    def record(n: int) -> None:
        at = moment + dt.timedelta(minutes=n)
        project = (PROJECTS[n % len(PROJECTS)],)
        home = "/home/ci/.local/state/upkeep"
        begun = Run(
            uuid.uuid4().hex,
            at,
            at,
            "ci@runner",
            "runner",
            "1",
            "check",
            project,
            STARTED,
            -1,
            0.0,
            (),
            home,
        )
        with open_store(location) as store:
            store.record_run(begun)
        ended = replace(begun, status="ok", exit_code=0, duration_seconds=1.5)
        with open_store(location) as store:
            store.record_run(ended)

    return timed(count, record)


def listing(location: Location, count: int) -> float:
    def list_runs(n: int) -> None:
        with open_store(location) as store:
            store.runs(project=PROJECTS[n % len(PROJECTS)], limit=50)

    return timed(count, list_runs)


# ---- the monitoring history ----------------------------------------------------------


def history_before_store() -> ModuleType | None:
    """upkeep.monitor.history as it was at BEFORE_STORE (its own SQLite file), or None when
    git cannot give it (not a clone)."""
    shown = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{BEFORE_STORE}:upkeep/monitor/history.py"],
        capture_output=True,
        text=True,
        check=False,
    )
    if shown.returncode != 0:
        return None
    spec = importlib.util.spec_from_loader("history_before_store", loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    exec(compile(shown.stdout, "history_before_store.py", "exec"), module.__dict__)
    return module


def check_run(project: str, at: dt.datetime, down: bool) -> list[CheckResult]:
    """One project's check run: a health check that sees the site, fifteen more that do not."""
    health = CheckResult(
        project,
        "production",
        "health",
        Status.CRITICAL if down else Status.OK,
        "no response" if down else "200 in 40 ms",
        at,
        kind="http",
    )
    others = [
        CheckResult(project, "production", f"check{n}", Status.OK, "fine", at, kind="disk")
        for n in range(1, PER_RUN)
    ]
    return [health, *others]


def recording(opened: Callable[[], Any], turns: Callable[[], Any], results: int) -> float:
    """``results`` recorded as check runs do: per run, take the turn, open, record a batch."""
    runs = results // PER_RUN

    def one_run(n: int) -> None:
        project = PROJECTS[n % len(PROJECTS)]
        at = MONTH_START + dt.timedelta(minutes=5 * (n // len(PROJECTS)))
        with turns(), opened() as history:
            history.record(check_run(project, at, down=False))

    return timed(runs, one_run)


def month_of_results(history: Any) -> None:
    """Every project's month: health every 30 minutes, down 10:00-11:00 on the 10th."""
    steps = 30 * 48
    outage = range(9 * 48 + 20, 9 * 48 + 22)
    for project in PROJECTS:
        batch = [
            CheckResult(
                project,
                "production",
                "health",
                Status.CRITICAL if step in outage else Status.OK,
                "down" if step in outage else "up",
                MONTH_START + dt.timedelta(minutes=30 * step),
                kind="http",
            )
            for step in range(steps)
        ]
        history.record(batch)


def sla_inventories(folder: Path) -> list[Project]:
    """Fifty projects with an SLA (99.9 %, 24/7), loaded as ``upkeep sla report`` loads them."""
    inventories = folder / "inventories"
    inventories.mkdir()
    for name in PROJECTS:
        (inventories / f"{name}.yml").write_text(
            f"project: {name}\n"
            f"app: {{kind: generic, repository: /srv/git/{name}}}\n"
            'php: {line: "8.2"}\n'
            f"database: {{name: {name}, user: {name}, password: {{secret: db}}, "
            f"dump_user: {name}_dump, dump_password: {{secret: dump}}}}\n"
            "sla:\n  target: 99.9\n  calendar: {timezone: UTC}\n"
            "  priorities:\n    P1: {response: 30m, resolution: 4h}\n"
            "environments:\n  production:\n"
            f"    domain: www.{name}.test\n    tls: manual\n    hosts: [{{name: {name}-web, address: 10.0.0.1}}]\n"
        )
    return [load_project(Workspace(folder), name) for name in PROJECTS]


def sla_month(projects: list[Project], report: Callable[[Project], Any]) -> float:
    def one(n: int) -> None:
        report(projects[n])

    return timed(len(projects), one)


def history_rows(folder: Path, team: Location, results: int) -> list[tuple[str, str, float]]:
    before = history_before_store()
    projects = sla_inventories(folder)
    now = dt.datetime(2026, 12, 1, 8, tzinfo=dt.UTC)
    rows: list[tuple[str, str, float]] = []
    recorded = f"{results:,} check results recorded"
    month = "SLA month, 50 projects"
    if before is not None:
        old = folder / "monitor.db"
        rows.append(
            (
                recorded,
                "monitor.db (before)",
                recording(lambda: before.History(old), lambda: before.one_recorder(old), results),
            )
        )
        month_file = folder / "month-monitor.db"
        with before.History(month_file) as history:
            month_of_results(history)

        def old_report(project: Project) -> None:
            with before.History(month_file) as history:
                history.locations = lambda *_: []  # it predates check locations: none to name
                period_report(project, MONTH, history, now, year_to_date=True)

        rows.append((month, "monitor.db (before)", sla_month(projects, old_report)))
    path = folder / "history.db"
    for engine, location in (("sqlite", Location(f"sqlite:///{path}", path)), ("postgresql", team)):
        rows.append(
            (
                recorded,
                engine,
                recording(partial(History, location), partial(one_recorder, location), results),
            )
        )
        with History(location) as history:
            history.prune(MONTH_START + dt.timedelta(days=40))  # the month's own results only
            month_of_results(history)
        os.environ["UPKEEP_DATABASE_URL"] = location.dsn or location.url  # as the CLI finds it
        rows.append(
            (
                month,
                engine,
                sla_month(projects, lambda project: report_from_history(project, MONTH, None, now)),
            )
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="operations of each kind")
    parser.add_argument("--results", type=int, default=10_000, help="check results recorded")
    args = parser.parse_args()
    count = args.count
    rows: list[tuple[str, str, float]] = []
    with tempfile.TemporaryDirectory() as folder:
        rows.append(("journal save", "file (before)", file_journals(Path(folder), count)))
        path = Path(folder) / "upkeep.db"
        with postgresql() as team:
            engines = (("sqlite", Location(f"sqlite:///{path}", path)), ("postgresql", team))
            for engine, location in engines:
                rows.append(("journal save", engine, store_journals(location, count)))
                rows.append(("run recorded (start + end)", engine, run_records(location, count)))
                rows.append(("runs of a project (50 newest)", engine, listing(location, count)))
        with postgresql() as team:
            history = history_rows(Path(folder), team, args.results)
    baseline = rows[0][2]
    print(f"{count} operations each; PostgreSQL on this machine (localhost TCP)\n")
    print(f"{'operation':32} {'store':20} {'total s':>8} {'ms each':>8} {'x before':>8}")
    for operation, engine, seconds in rows:
        ratio = f"{seconds / baseline:6.1f}x" if operation == "journal save" else ""
        print(f"{operation:32} {engine:20} {seconds:8.2f} {seconds / count * 1000:8.2f} {ratio:>8}")
    print(f"\nmonitoring history: a run records {PER_RUN} results; SLA: 1,440 results per project")
    print(f"{'operation':32} {'store':20} {'total s':>8} {'per run/report ms':>18} {'x before':>8}")
    befores = {op: s for op, engine, s in history if engine.endswith("(before)")}
    for operation, engine, seconds in history:
        each = len(PROJECTS) if operation.startswith("SLA") else args.results // PER_RUN
        before = befores.get(operation)
        ratio = f"{seconds / before:6.2f}x" if before else ""
        print(f"{operation:32} {engine:20} {seconds:8.2f} {seconds / each * 1000:18.2f} {ratio:>8}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
