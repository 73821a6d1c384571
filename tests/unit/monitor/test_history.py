"""The monitoring history in the state store, on both engines (SQLite and a real PostgreSQL):
results kept, incidents opened and closed, concurrency; an SQLite store file's own ways."""

from __future__ import annotations

import datetime as dt
import re
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType

import pytest

from upkeep.credentials import SecretRef, reveal
from upkeep.errors import RunFailed, UsageError
from upkeep.inventory.priority import Priority
from upkeep.monitor.history import SCHEMA_VERSION, History, default_path, one_recorder
from upkeep.monitor.incidents import Change, IncidentPolicy
from upkeep.monitor.result import CheckResult, Metric, Status
from upkeep.state import Location

T0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
OK, W, C = Status.OK, Status.WARNING, Status.CRITICAL


def at(minute: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minute)


def result(
    minute: int, status: Status, check: str = "health", project: str = "demo"
) -> CheckResult:
    return CheckResult(
        project, "production", check, status, f"{status.name} at {minute}", at=at(minute)
    )


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "monitor.db"


@pytest.fixture
def where(store_location: Location) -> Location:
    """A state store on each engine in turn (tests/unit/conftest.py)."""
    return store_location


@pytest.fixture
def history(where: Location) -> Iterator[History]:
    with History(where) as opened:
        yield opened


def test_a_new_file_gets_the_schema_in_wal_mode_readable_by_its_owner_only(path: Path) -> None:
    with History(path) as history:
        assert history.schema_version == SCHEMA_VERSION
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    db = sqlite3.connect(path)
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"results", "incidents", "check_state", "kv"} <= tables
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # The store's schema bookkeeping (upkeep.state.schema), the same on both engines.
    assert db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0] == SCHEMA_VERSION
    db.close()


def test_by_default_the_history_is_in_the_state_store_and_the_old_file_in_the_state_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, state_store: Path
) -> None:
    monkeypatch.setenv("UPKEEP_STATE_DIR", str(tmp_path / "state-home"))
    assert default_path() == tmp_path / "state-home" / "monitor.db"
    with History() as history:
        assert history.path == state_store  # UPKEEP_DATABASE_URL's (tests/unit/conftest.py)
        history.set_state("k", "v")
    assert not default_path().exists()
    with sqlite3.connect(state_store) as db:
        assert db.execute("SELECT value FROM kv WHERE key = 'k'").fetchone() == ("v",)


def test_an_empty_file_is_migrated_and_reopening_keeps_the_data(path: Path) -> None:
    path.parent.mkdir(parents=True)
    sqlite3.connect(path).close()  # version 0, no tables
    with History(path) as history:
        history.record([result(0, OK)])
        history.set_state("cursor", "42")
    with History(path) as history:
        assert history.get_state("cursor") == "42"
        assert len(history.results("demo", "production", "health", at(0), at(1))) == 1


def test_a_file_from_a_newer_upkeep_is_refused(path: Path) -> None:
    History(path).close()
    db = sqlite3.connect(path)
    db.execute(
        "INSERT INTO schema_migrations (version, applied_at) VALUES (?, 'x')",
        (SCHEMA_VERSION + 1,),
    )
    db.commit()
    db.close()
    with pytest.raises(
        UsageError, match=f"written by a newer upkeep \\(schema {SCHEMA_VERSION + 1}"
    ):
        History(path)


def test_a_file_that_is_not_a_database_is_refused(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(UsageError, match=r"not an upkeep state store.*move it aside"):
        History(path)


def test_a_directory_that_cannot_be_created_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(UsageError, match="cannot create the state store"):
        History(tmp_path / "file" / "monitor.db")


def test_results_come_back_as_they_went_in(history: History) -> None:
    rich = CheckResult(
        "demo",
        "production",
        "disk",
        W,
        "82% used on /",
        at=at(3).astimezone(dt.timezone(dt.timedelta(hours=1))),
        seconds=0.25,
        kind="disk",
        affects_availability=False,
        metrics=MappingProxyType(
            {
                "used": Metric(82.0, "%", 80, 90, 0, 100),
                "free": Metric(3.6, "GB", 5, 2, 0, 20, lower_is_worse=True),
            }
        ),
        details=("/ 82%", "/var 40%"),
        location="office",
    )
    history.record([rich, result(4, OK, check="disk")], in_maintenance=lambda r: r.status is OK)
    stored = history.results("demo", "production", "disk", at(0), at(10))
    assert [r.result for r in stored] == [rich, result(4, OK, check="disk")]
    assert [r.in_maintenance for r in stored] == [False, True]
    assert stored[0].result.at.tzinfo == dt.UTC


def test_the_period_is_half_open_and_other_checks_stay_out(history: History) -> None:
    history.record([result(m, OK) for m in range(0, 30, 5)] + [result(7, OK, check="tls")])
    found = history.results("demo", "production", "health", at(5), at(20))
    assert [r.result.at for r in found] == [at(5), at(10), at(15)]


def test_secrets_are_masked_before_they_are_stored(
    history: History, where: Location, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UPKEEP_SECRET_HISTORY_TEST_PW", "s3cret-in-a-message")
    reveal(SecretRef(secret="history_test_pw"))
    leaky = CheckResult(
        "demo",
        "production",
        "database",
        C,
        "login failed with s3cret-in-a-message",
        at=at(0),
        details=("dsn mysql://u:s3cret-in-a-message@db",),
    )
    (opened,) = history.record([leaky], policy=IncidentPolicy(1, 1))
    assert "s3cret" not in opened.incident.summary
    history.close()
    if where.path is not None:
        assert b"s3cret-in-a-message" not in where.path.read_bytes()
    with History(where) as again:
        (stored,) = again.results("demo", "production", "database", at(0), at(1))
    assert stored.result.summary == "login failed with ***"
    assert stored.result.details == ("dsn mysql://u:***@db",)


def test_an_incident_spans_runs_and_separate_openings_of_the_file(where: Location) -> None:
    runs = [[result(0, C)], [result(5, C)], [result(10, OK)], [result(15, C)], [result(20, OK)]]
    runs += [[result(25, OK)]]
    transitions = []
    for batch in runs:  # a new process each time, as a timer runs it
        with History(where) as history:
            transitions += history.record(batch)
    assert [t.change for t in transitions] == [Change.OPENED, Change.RESOLVED]
    opened, resolved = (t.incident for t in transitions)
    assert opened.id == resolved.id == 1
    assert (resolved.opened, resolved.resolved) == (at(0), at(20))
    with History(where) as history:
        assert history.open_incidents() == []
        (stored,) = history.incidents(at(0), at(60))
    assert stored == resolved
    assert stored.priority is Priority.P1 and stored.affects_availability
    assert stored.outage == (at(0), at(20))


def test_incidents_overlapping_a_period(history: History) -> None:
    policy = IncidentPolicy(1, 1)
    history.record([result(0, C, "a"), result(10, OK, "a")], policy=policy)  # 0-10
    history.record([result(20, C, "b"), result(30, OK, "b")], policy=policy)  # 20-30
    history.record([result(40, W, "c")], policy=policy)  # 40-, still open
    history.record([result(50, C, "d", project="shop")], policy=policy)

    def checks(start: int, end: int, project: str | None = "demo") -> list[str]:
        return [i.check for i in history.incidents(at(start), at(end), project=project)]

    assert checks(0, 60) == ["a", "b", "c"]
    assert checks(0, 60, project=None) == ["a", "b", "c", "d"]
    assert checks(10, 20) == []  # a ended as the period began; b began as it ended
    assert checks(5, 25) == ["a", "b"]
    assert checks(45, 1000) == ["c"]
    assert [i.check for i in history.open_incidents()] == ["c", "d"]
    assert [i.check for i in history.open_incidents(project="shop")] == ["d"]
    assert history.open_incidents(environment="staging") == []


def test_acknowledging_keeps_the_first_response(history: History) -> None:
    (opened,) = history.record([result(0, C), result(5, C)])
    incident_id = opened.incident.id
    assert incident_id is not None
    first = history.acknowledge(incident_id, at(12))
    assert first.acknowledged == at(12)
    assert history.acknowledge(incident_id, at(30)).acknowledged == at(12)
    # The machine goes on writing its columns without losing the acknowledgement.
    (resolved,) = history.record([result(40, OK), result(45, OK)])
    assert resolved.incident.acknowledged == at(12)
    assert history.incident(incident_id).acknowledged == at(12)
    assert history.incident(incident_id).resolved == at(40)


def test_acknowledging_what_is_not_there_or_too_early_is_a_usage_error(history: History) -> None:
    (opened,) = history.record([result(10, C), result(15, C)])
    with pytest.raises(UsageError, match="no incident 99 in"):
        history.acknowledge(99, at(20))
    with pytest.raises(UsageError, match=r"no incident 99 in .* \(open ones: 1\)"):
        history.incident(99)
    with pytest.raises(UsageError, match="cannot be acknowledged before that"):
        history.acknowledge(opened.incident.id or 0, at(5))


def test_an_escalation_is_stored(history: History) -> None:
    history.record([result(0, W), result(5, W)])
    (escalated,) = history.record([result(10, C)])
    assert escalated.change is Change.ESCALATED
    (stored,) = history.open_incidents()
    assert (stored.priority, stored.worst, stored.down_since) == (Priority.P1, C, at(10))
    assert stored.opened == at(0) and stored.summary == "CRITICAL at 10"


def test_thresholds_per_project(history: History) -> None:
    policies = {"fast": IncidentPolicy(1, 1), "slow": IncidentPolicy(3, 1)}
    batch = [result(m, C, project=p) for m in (0, 5) for p in policies]
    transitions = history.record(batch, policy=lambda r: policies[r.project])
    assert [(t.incident.project, t.change) for t in transitions] == [("fast", Change.OPENED)]
    (later,) = history.record([result(10, C, project="slow")], policy=lambda r: policies[r.project])
    assert later.incident.opened == at(0)


def test_results_in_maintenance_are_kept_but_open_nothing(history: History) -> None:
    transitions = history.record(
        [result(m, C) for m in range(0, 30, 5)], in_maintenance=lambda r: True
    )
    assert transitions == []
    assert history.open_incidents() == []
    stored = history.results("demo", "production", "health", at(0), at(30))
    assert len(stored) == 6 and all(r.in_maintenance for r in stored)


def test_an_older_result_is_kept_but_changes_nothing(history: History) -> None:
    history.record([result(10, C)])
    assert history.record([result(5, C)]) == []  # would have been the second failure
    assert len(history.results("demo", "production", "health", at(0), at(20))) == 2
    (opened,) = history.record([result(15, C)])
    assert opened.incident.opened == at(10)


def test_naive_times_are_refused_before_anything_is_written(history: History) -> None:
    naive = CheckResult("demo", "production", "health", C, "x", at=dt.datetime(2026, 11, 23))
    with pytest.raises(ValueError, match="must be an aware datetime"):
        history.record([result(0, C), naive])
    assert history.results("demo", "production", "health", at(-60), at(60)) == []


def test_prune_deletes_old_results_and_keeps_incidents(history: History) -> None:
    history.record([result(m, s) for m, s in [(0, C), (5, C), (10, OK), (15, OK), (20, OK)]])
    assert history.prune(at(12)) == 3
    remaining = history.results("demo", "production", "health", at(0), at(60))
    assert [r.result.at for r in remaining] == [at(15), at(20)]
    (incident,) = history.incidents(at(0), at(60))
    assert (incident.opened, incident.resolved) == (at(0), at(10))
    assert history.prune(at(12)) == 0


def test_checks_keep_their_own_state(where: Location) -> None:
    with History(where) as history:
        assert history.get_state("logs/demo/production/php") is None
        history.set_state("logs/demo/production/php", '{"inode": 12, "offset": 3400}')
        history.set_state("logs/demo/production/php", '{"inode": 12, "offset": 5100}')
    with History(where) as history:
        assert history.get_state("logs/demo/production/php") == '{"inode": 12, "offset": 5100}'
        with pytest.raises(ValueError, match="a state key must be text of 1-500 characters"):
            history.get_state("")
        with pytest.raises(TypeError, match="the value must be text"):
            history.set_state("k", 5)  # type: ignore[arg-type]


def hold_write_lock(path: Path, seconds: float, started: threading.Event) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    started.set()
    time.sleep(seconds)
    db.execute("COMMIT")
    db.close()


def test_a_second_run_waits_for_the_first(path: Path) -> None:
    History(path).close()
    started = threading.Event()
    holder = threading.Thread(target=hold_write_lock, args=(path, 0.5, started))
    holder.start()
    started.wait(5)
    begun = time.monotonic()
    with History(path, busy_timeout=10) as history:
        history.record([result(0, OK)])
    waited = time.monotonic() - begun
    holder.join()
    assert waited >= 0.3
    with History(path) as history:
        assert len(history.results("demo", "production", "health", at(0), at(1))) == 1


def test_a_run_that_waits_too_long_says_so(path: Path) -> None:
    History(path).close()
    started = threading.Event()
    holder = threading.Thread(target=hold_write_lock, args=(path, 1.0, started))
    holder.start()
    started.wait(5)
    try:
        with History(path, busy_timeout=0.1) as history, pytest.raises(RunFailed) as caught:
            history.record([result(0, OK)])
    finally:
        holder.join()
    assert "stayed busy for 0.1s (another upkeep run is writing to it); try again" in str(
        caught.value
    )


def test_two_runs_recording_at_once_lose_nothing(where: Location) -> None:
    History(where).close()
    errors: list[BaseException] = []

    def run(check: str) -> None:
        try:
            with History(where) as history:
                for minute in range(0, 100, 5):
                    history.record([result(minute, C if minute < 50 else OK, check=check)])
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with History(where) as history:
        for check in ("a", "b"):
            assert len(history.results("demo", "production", check, at(0), at(100))) == 20
        incidents = history.incidents(at(0), at(100))
    assert sorted((i.check, i.opened, i.resolved) for i in incidents) == [
        ("a", at(0), at(50)),
        ("b", at(0), at(50)),
    ]


# ---- one recording run at a time --------------------------------------------------------


def test_a_second_recording_run_waits_for_the_first(where: Location) -> None:
    order: list[str] = []
    said: list[str] = []
    first_in = threading.Event()

    def first() -> None:
        with one_recorder(where):
            first_in.set()
            time.sleep(0.5)
            order.append("first done")

    thread = threading.Thread(target=first)
    thread.start()
    first_in.wait(5)
    with one_recorder(where, say=said.append):
        order.append("second in")
    thread.join()
    assert order == ["first done", "second in"]
    assert said and "is recording into" in said[0] and "pid " in said[0]


def test_a_run_that_waits_too_long_says_who_holds_the_history(where: Location) -> None:
    # Across machines (PostgreSQL) the holder's machine is named too.
    machine = "" if where.path is not None else f" on {re.escape(socket.gethostname())}"
    held = pytest.raises(RunFailed, match=rf"another check run \(pid \d+{machine}\)")
    with one_recorder(where), held, one_recorder(where, wait_seconds=0.3):
        pass


def test_a_killed_holder_leaves_the_history_free(where: Location) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, where.dsn or where.url], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    with pytest.raises(RunFailed), one_recorder(where, wait_seconds=0.2):
        pass
    holder.kill()  # SIGKILL: no clean-up of its own
    holder.wait()
    with one_recorder(where, wait_seconds=2):
        pass


HOLD = """
import sys, time
from upkeep.monitor.history import one_recorder
from upkeep.state import locate
with one_recorder(locate({"UPKEEP_DATABASE_URL": sys.argv[1]})):
    print("holding", flush=True)
    time.sleep(60)
"""


# ---- two machines, one PostgreSQL store ---------------------------------------------------

RECORDER = """
import datetime as dt, sys
from upkeep.monitor.history import History, one_recorder
from upkeep.monitor.result import CheckResult, Status
from upkeep.state import locate
where, first, turns = locate({"UPKEEP_DATABASE_URL": sys.argv[1]}), int(sys.argv[2]), sys.argv[3]
t0 = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
print("ready", flush=True)
sys.stdin.readline()  # both start together
for minute in range(first, 200, 2):
    status = Status.CRITICAL if minute < 100 else Status.OK
    batch = [
        CheckResult("demo", "production", check, status, status.name,
                    at=t0 + dt.timedelta(minutes=minute, seconds=n), location=sys.argv[2])
        for n, check in enumerate(["health"] + [f"c{i}" for i in range(11)])
    ]
    if turns == "turns":
        with one_recorder(where), History(where) as history:
            history.record(batch)
    else:
        with History(where) as history:
            history.record(batch)
"""


@pytest.mark.parametrize("turns", ["turns", "records only"])
def test_two_processes_recording_into_one_postgresql_store_lose_nothing_and_open_one_incident(
    postgresql_url: str, turns: str
) -> None:
    """Two machines' check runs (their own processes) record the same checks at once, with
    one_recorder's turns and without (each record's own transaction still one at a time)."""
    runners = [
        subprocess.Popen(
            [sys.executable, "-c", RECORDER, postgresql_url, str(first), turns],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for first in (0, 1)
    ]
    for runner in runners:
        assert runner.stdout is not None and runner.stdout.readline().strip() == "ready"
    for runner in runners:
        assert runner.stdin is not None
        runner.stdin.write("go\n")
        runner.stdin.close()
    assert [runner.wait(120) for runner in runners] == [0, 0]
    with History(Location("postgresql://test", None, postgresql_url)) as history:
        end = at(300)
        for check in ["health"] + [f"c{i}" for i in range(11)]:
            assert len(history.results("demo", "production", check, at(0), end)) == 200
        incidents = history.incidents(at(0), end)
    # One outage of each check, one incident each, numbered 1 to 12 without a gap.
    assert sorted(i.check for i in incidents) == sorted(["health"] + [f"c{i}" for i in range(11)])
    assert sorted(i.id for i in incidents) == list(range(1, 13))
    assert all(i.resolved is not None for i in incidents)
