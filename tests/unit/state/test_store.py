"""The state store on a real SQLite file: created, migrated forward, a newer one refused,
runs written and read back, its place chosen by UPKEEP_DATABASE_URL."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from upkeep.errors import UsageError
from upkeep.state import Location, Run, Store, locate, open_store
from upkeep.state.schema import MIGRATIONS, Migration

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
    )


@pytest.fixture
def location(tmp_path: Path) -> Location:
    path = tmp_path / "upkeep.db"
    return Location(f"sqlite:///{path}", path)


def test_a_fresh_store_has_every_migration_recorded_with_its_time(location: Location) -> None:
    with Store(location) as store:
        applied = store.migrations()
        assert store.schema_version == len(MIGRATIONS)
        assert store.rows() == {"schema_migrations": len(MIGRATIONS), "runs": 0, "run_projects": 0}
        assert store.integrity() == ["ok"]
    assert [m.version for m in applied] == [m.version for m in MIGRATIONS]
    assert all(dt.datetime.strptime(m.applied_at, "%Y-%m-%dT%H:%M:%S.%fZ") for m in applied)
    assert location.path.stat().st_mode & 0o777 == 0o600
    with sqlite3.connect(location.path) as db:  # the version is in the table, not user_version
        assert db.execute("PRAGMA user_version").fetchone()[0] == 0


def test_an_old_store_is_migrated_forward_and_keeps_its_runs(location: Location) -> None:
    with Store(location) as old:
        old.record_run(a_run("r1", at(1), "shop"))
        first = old.migrations()
    with Store(location, migrations=(*MIGRATIONS, LATER)) as newer:
        assert newer.schema_version == LATER.version
        assert [m.version for m in newer.migrations()][: len(first)] == [m.version for m in first]
        assert newer.migrations()[: len(first)] == first  # applied_at of the old ones kept
        assert [run.id for run in newer.runs()] == ["r1"]
    with sqlite3.connect(location.path) as db:
        assert db.execute("SELECT note FROM runs").fetchall() == [("",)]


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


def test_postgresql_is_refused_for_now_without_showing_its_password() -> None:
    with pytest.raises(UsageError) as refused:
        locate({"UPKEEP_DATABASE_URL": "postgresql://ops:hunter2@db.example/upkeep"})
    message = str(refused.value)
    assert "PostgreSQL support is not built yet" in message
    assert "hunter2" not in message and "ops:***@db.example" in message
    with pytest.raises(UsageError, match="not a store upkeep knows"):
        locate({"UPKEEP_DATABASE_URL": "mysql://db/upkeep"})


def test_open_store_follows_upkeep_database_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UPKEEP_DATABASE_URL", f"sqlite:///{tmp_path}/elsewhere/team.db")
    with open_store() as store:
        store.record_run(a_run("r1", at(1), "shop"))
    assert (tmp_path / "elsewhere" / "team.db").is_file()
