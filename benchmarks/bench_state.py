"""Benchmark: what the state store costs a run, on SQLite and on PostgreSQL.

An update saves its journal after every step, and every command goes on
record twice (when it starts, when it ends). Before the store, a journal was
a JSON file replaced atomically; that write is the baseline, measured here in
the same run. For each engine, in a fresh store:

- journal saves: ``JournalStore.save`` of a 9-step update journal, each save
  opening the store as the pipeline does (a connection per save);
- run records: a run recorded as started, then ended (two upserts);
- ``upkeep runs``: the newest 50 of all runs recorded, for one project.

    python benchmarks/bench_state.py                  # 1,000 of each
    python benchmarks/bench_state.py --count 100      # a quick look
    UPKEEP_BENCH_DATABASE_URL=postgresql://... python benchmarks/bench_state.py

PostgreSQL is the one UPKEEP_BENCH_DATABASE_URL names (an empty database),
else a database made on the local server the tests set up (Debian's
``postgresql``, tests/postgresql.py). Prints a table; the figures are
measurements, never assertions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from upkeep.atomic import write_atomic  # noqa: E402
from upkeep.pipeline import JournalStore  # noqa: E402
from upkeep.state import Location, Run, locate, open_store  # noqa: E402
from upkeep.state.runs import STARTED  # noqa: E402
from upkeep.update.runs import started  # noqa: E402
from upkeep.update.workflow import STEPS  # noqa: E402

PROJECTS = tuple(f"site{n}" for n in range(1, 51))


@contextmanager
def postgresql() -> Iterator[Location]:
    """An empty PostgreSQL store: UPKEEP_BENCH_DATABASE_URL's, or a fresh local database."""
    given = os.environ.get("UPKEEP_BENCH_DATABASE_URL")
    if given:
        yield locate({"UPKEEP_DATABASE_URL": given})
        return
    import psycopg

    from tests.postgresql import start_server

    server = start_server()
    name = f"upkeep_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server.url("postgres"), autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name}")
    try:
        yield locate({"UPKEEP_DATABASE_URL": server.url(name)})
    finally:
        with psycopg.connect(server.url("postgres"), autocommit=True) as db:
            db.execute(f"DROP DATABASE {name} WITH (FORCE)")


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="operations of each kind")
    count = parser.parse_args().count
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
    baseline = rows[0][2]
    print(f"{count} operations each; PostgreSQL on this machine (localhost TCP)\n")
    print(f"{'operation':32} {'store':14} {'total s':>8} {'ms each':>8} {'x file':>7}")
    for operation, engine, seconds in rows:
        ratio = f"{seconds / baseline:6.1f}x" if operation == "journal save" else ""
        print(f"{operation:32} {engine:14} {seconds:8.2f} {seconds / count * 1000:8.2f} {ratio:>7}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
