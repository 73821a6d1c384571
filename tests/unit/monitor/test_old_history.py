"""An old monitor.db (schema 1 to 4, beside each machine's runs) is imported into the state
store on first use, on both engines: nothing lost, incident numbers kept, never imported twice."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from tests.unit.monitor.old_files import old_history
from upkeep.errors import UsageError
from upkeep.monitor import old_history as importing
from upkeep.monitor.history import History, default_path
from upkeep.monitor.result import CheckResult, Status
from upkeep.state import Location

T0 = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)


def stamp(minutes: int) -> str:
    return (T0 + dt.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def a_machine_s_history(path: Path, version: int) -> sqlite3.Connection:
    """What a machine kept: two results, incident 7 (resolved, acknowledged) and incident 12
    (open, its check's state pointing at it), a log cursor; left with rows in its WAL."""
    db = old_history(path, version)
    db.execute("PRAGMA wal_autocheckpoint = 0")  # every row stays in the -wal file
    for minute, status in ((0, 2), (5, 2)):
        db.execute(
            "INSERT INTO results (project, environment, check_name, at, status, summary, "
            "seconds, kind, affects_availability, in_maintenance, metrics, details) VALUES "
            "('shop', 'production', 'health', ?, ?, 'no response', 0.5, 'http', 1, 0, '{}', '[]')",
            (stamp(minute), status),
        )
    for number, opened, acknowledged, resolved in ((7, -60, -55, -30), (12, 0, None, None)):
        db.execute(
            "INSERT INTO incidents (id, project, environment, check_name, priority, worst, "
            "summary, opened, down_since, acknowledged, resolved) VALUES (?, 'shop', "
            "'production', 'health', 'P1', 2, 'no response', ?, ?, ?, ?)",
            (
                number,
                stamp(opened),
                stamp(opened),
                None if acknowledged is None else stamp(acknowledged),
                None if resolved is None else stamp(resolved),
            ),
        )
    db.execute(
        "INSERT INTO check_state (project, environment, check_name, last_at, streak_ok, "
        "streak_count, streak_since, streak_priority, streak_worst, streak_summary, "
        "streak_down_since, incident_id) VALUES ('shop', 'production', 'health', ?, 0, 2, ?, "
        "'P1', 2, 'no response', ?, 12)",
        (stamp(5), stamp(0), stamp(0)),
    )
    db.execute(
        "INSERT INTO kv (key, value, updated) VALUES ('logs/shop/production/php', '{\"offset\": 9}', ?)",
        (stamp(5),),
    )
    return db  # open: its rows may still be in the write-ahead log, as a killed run left them


@pytest.fixture
def store(store_location: Location, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Location:
    """The state store UPKEEP_DATABASE_URL names (each engine), and a state home of its own."""
    monkeypatch.setenv("UPKEEP_DATABASE_URL", store_location.dsn or store_location.url)
    monkeypatch.setenv("UPKEEP_STATE_DIR", str(tmp_path / "state-home"))
    return store_location


def result(minute: int, status: Status = Status.OK, environment: str = "production") -> CheckResult:
    at = T0 + dt.timedelta(minutes=minute)
    return CheckResult("shop", environment, "health", status, status.name, at=at)


@pytest.mark.parametrize("version", [1, 2, 3, 4])
def test_an_old_monitor_db_is_imported_once_with_its_incident_numbers(
    store: Location, version: int
) -> None:
    old = default_path()
    writer = a_machine_s_history(old, version)
    with History() as history:
        assert history.where == (str(store.path) if store.path else store.url)
        assert [
            (i.id, i.acknowledged is not None)
            for i in history.incidents(
                T0 - dt.timedelta(hours=2), T0 + dt.timedelta(hours=1), "shop"
            )
        ] == [(7, True), (12, False)]
        kept = history.results("shop", "production", "health", T0, T0 + dt.timedelta(hours=1))
        assert [(r.result.status, r.result.summary) for r in kept] == [
            (Status.CRITICAL, "no response"),
            (Status.CRITICAL, "no response"),
        ]
        assert history.get_state("logs/shop/production/php") == '{"offset": 9}'
        # The incident machine carries on from the imported state: two OKs resolve 12.
        (resolved,) = history.record([result(10), result(15)])
        assert (resolved.incident.id, resolved.change.value) == (12, "resolved")
        # New numbers run on after the imported ones.
        opened = history.record([result(m, Status.CRITICAL, "staging") for m in (20, 25)])
        assert [t.incident.id for t in opened] == [13]
    assert not old.exists() and old.with_name("monitor.db.imported").is_file()
    with History() as again:  # nothing imported twice
        assert len(again.incidents(T0 - dt.timedelta(hours=2), T0 + dt.timedelta(hours=1))) == 3
    writer.close()


def test_a_second_machine_s_file_runs_on_after_the_numbers_the_store_gave_out(
    store: Location, tmp_path: Path
) -> None:
    a_machine_s_history(default_path(), 4).close()
    History().close()  # the first machine's: incidents 7 and 12
    second = tmp_path / "other-home" / "monitor.db"
    a_machine_s_history(second, 4).close()
    pending = importing.claim(second)
    assert pending is not None
    with History() as history:
        done = importing.bring_in(history._db, pending)
        assert done is not None and done.id_shift == {"incidents": 12, "results": 2}
        numbers = [
            i.id for i in history.incidents(T0 - dt.timedelta(hours=2), T0 + dt.timedelta(1))
        ]
        # The check's state stays the first machine's; the second's incidents are all there.
        assert sorted(numbers) == [7, 12, 19, 24]
        assert [i.id for i in history.open_incidents()] == [12, 24]


def test_an_import_cut_off_after_its_commit_is_not_done_twice(store: Location) -> None:
    a_machine_s_history(default_path(), 4).close()
    pending = importing.claim(default_path())
    assert pending is not None and pending.name == "monitor.db.importing"
    with History() as history:  # imports it, and renames it .imported
        assert len(history.open_incidents()) == 1
    # As if killed between the commit and the rename: the .importing file is back.
    default_path().with_name("monitor.db.imported").rename(pending)
    with History() as history:
        assert len(history.open_incidents()) == 1
    assert not pending.exists()


def test_an_old_file_from_a_newer_upkeep_is_refused_in_one_line(store: Location) -> None:
    a_machine_s_history(default_path(), 4).close()
    with sqlite3.connect(default_path()) as db:
        db.execute("PRAGMA user_version = 5")
    with pytest.raises(UsageError, match="a monitoring history written by a newer upkeep"):
        History()
    assert default_path().is_file()  # left as it was
