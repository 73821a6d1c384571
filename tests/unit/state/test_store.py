"""The state store on a real SQLite file and a real PostgreSQL database (the ``location``
fixture runs each test on both): created, migrated forward (once, however many processes
open it at once), a newer one refused, runs written and read back, its place chosen by
UPKEEP_DATABASE_URL, PostgreSQL's password never shown."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.postgresql import Server
from upkeep.errors import UsageError
from upkeep.state import Location, Run, Store, database, locate, open_store
from upkeep.state.schema import MIGRATIONS, Migration
from upkeep.state.store import TABLES

# A later upkeep's migration: what an old store meets when this upkeep grows.
LATER = Migration(
    len(MIGRATIONS) + 1,
    "a note per run (only in these tests)",
    ("ALTER TABLE runs ADD COLUMN note TEXT NOT NULL DEFAULT ''",),
)


def at(day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, tzinfo=dt.UTC)


def a_run(run_id: str, started: dt.datetime, *projects: str, command: str = "refresh") -> Run:
    return Run(
        run_id,
        started,
        started + dt.timedelta(seconds=90),
        "ops@laptop",
        "laptop",
        "0.1.0",
        command,
        projects,
        "ok",
        0,
        90.0,
        (f"reports/{command}/{run_id}.md",),
        pins_commits=(f"{run_id}{'0' * 39}",),
    )


def test_a_fresh_store_has_every_migration_recorded_with_its_time(location: Location) -> None:
    with Store(location) as store:
        applied = store.migrations()
        assert store.schema_version == len(MIGRATIONS)
        assert store.rows() == {name: 0 for name in TABLES} | {"schema_migrations": len(MIGRATIONS)}
        assert store.integrity() == ["ok"]
        assert store.backend == location.backend
    assert [m.version for m in applied] == [m.version for m in MIGRATIONS]
    assert all(dt.datetime.strptime(m.applied_at, "%Y-%m-%dT%H:%M:%S.%fZ") for m in applied)


def test_a_fresh_sqlite_store_is_private_and_versioned_in_its_table(tmp_path: Path) -> None:
    path = tmp_path / "upkeep.db"
    Store(Location(f"sqlite:///{path}", path)).close()
    assert path.stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(path) as db:  # the version is in the table, not user_version
        assert db.execute("PRAGMA user_version").fetchone()[0] == 0


def test_stores_opened_at_once_are_migrated_once(location: Location) -> None:
    # Eight processes' worth of connections opening one fresh store at the same moment.
    start = threading.Barrier(8)

    def opened() -> int:
        start.wait()
        with Store(location) as store:
            return store.schema_version

    with ThreadPoolExecutor(8) as pool:
        versions = list(pool.map(lambda _: opened(), range(8)))
    assert versions == [len(MIGRATIONS)] * 8
    with Store(location) as store:
        assert [m.version for m in store.migrations()] == [m.version for m in MIGRATIONS]


def test_an_old_store_is_migrated_forward_and_keeps_its_runs(location: Location) -> None:
    with Store(location) as old:
        old.record_run(a_run("r1", at(1), "shop"))
        first = old.migrations()
    with Store(location, migrations=(*MIGRATIONS, LATER)) as newer:
        assert newer.schema_version == LATER.version
        assert [m.version for m in newer.migrations()][: len(first)] == [m.version for m in first]
        assert newer.migrations()[: len(first)] == first  # applied_at of the old ones kept
        assert [run.id for run in newer.runs()] == ["r1"]
    db = database.connect(location, busy_timeout=5.0)
    assert db.execute("SELECT note FROM runs") == [("",)]
    db.close()


def test_a_store_newer_than_this_upkeep_is_refused_in_one_line(location: Location) -> None:
    Store(location, migrations=(*MIGRATIONS, LATER)).close()
    with pytest.raises(UsageError) as refused:
        Store(location)
    message = str(refused.value)
    assert "\n" not in message
    assert f"newer upkeep (schema {LATER.version}, this one knows {len(MIGRATIONS)})" in message


def test_runs_come_back_newest_first_filtered_by_project_time_and_limit(
    location: Location,
) -> None:
    with Store(location) as store:
        store.record_run(a_run("a", at(1), "shop"))
        store.record_run(a_run("b", at(3), "shop", "blog", command="update minor"))
        store.record_run(a_run("c", at(5), "blog"))
        assert [run.id for run in store.runs()] == ["c", "b", "a"]
        assert [run.id for run in store.runs(project="shop")] == ["b", "a"]
        assert [run.id for run in store.runs(since=at(3))] == ["c", "b"]
        assert [run.id for run in store.runs(project="shop", since=at(2), limit=5)] == ["b"]
        assert [run.id for run in store.runs(limit=1)] == ["c"]
        [both] = [run for run in store.runs(project="blog") if run.id == "b"]
    assert both == a_run("b", at(3), "blog", "shop", command="update minor")  # read back whole


def test_the_default_store_is_in_the_state_home(monkeypatch: pytest.MonkeyPatch) -> None:
    assert locate({}).path == locate({"UPKEEP_DATABASE_URL": ""}).path
    monkeypatch.setenv("UPKEEP_STATE_DIR", "/srv/upkeep-state")
    assert locate({}) == Location(
        "sqlite:////srv/upkeep-state/upkeep.db", Path("/srv/upkeep-state/upkeep.db")
    )


def test_a_postgresql_url_is_located_without_showing_its_password() -> None:
    team = locate({"UPKEEP_DATABASE_URL": "postgresql://ops:hunter2@db.example/upkeep"})
    assert team.backend == "postgresql" and team.path is None
    assert team.url == "postgresql://ops:***@db.example/upkeep"
    assert "hunter2" not in repr(team) and "hunter2" in team.dsn
    with pytest.raises(UsageError, match="not a store upkeep knows"):
        locate({"UPKEEP_DATABASE_URL": "mysql://db/upkeep"})
    with pytest.raises(UsageError, match="name the database"):
        locate({"UPKEEP_DATABASE_URL": "postgresql://ops:hunter2@db.example"})


def test_a_postgresql_server_that_cannot_be_reached_is_one_line_without_the_password(
    postgresql_server: Server,
) -> None:
    wrong = postgresql_server.url("upkeep").replace(postgresql_server.password, "hunter2")
    for url in (wrong, "postgresql://ops:hunter2@127.0.0.1:1/upkeep"):
        with pytest.raises(UsageError) as refused:
            open_store(locate({"UPKEEP_DATABASE_URL": url}))
        message = str(refused.value)
        assert "\n" not in message and "cannot reach the state store" in message
        assert "hunter2" not in message and ":***@127.0.0.1:" in message


def test_open_store_follows_upkeep_database_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UPKEEP_DATABASE_URL", f"sqlite:///{tmp_path}/elsewhere/team.db")
    with open_store() as store:
        store.record_run(a_run("r1", at(1), "shop"))
    assert (tmp_path / "elsewhere" / "team.db").is_file()
