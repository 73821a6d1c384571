"""``upkeep state check`` on a real SQLite store (healthy, damaged, newer) and a real
PostgreSQL one (healthy, out of reach)."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.unit.run_cli import run_cli as run
from upkeep.state import Location, Store
from upkeep.state.schema import MIGRATIONS, Migration
from upkeep.state.store import TABLES


def test_a_healthy_store_says_where_it_is_its_version_and_its_rows(
    workspace: Path, state_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "provision", "nosuch", "staging")  # one run on record
    code, out, _ = run(capsys, "state", "check")
    assert code == 0
    assert f"sqlite:///{state_store}" in out and "healthy" in out.splitlines()[-1]
    code, out, _ = run(capsys, "state", "check", "--json")
    data = json.loads(out)["data"]
    assert code == 0 and data["healthy"] and data["problem"] == ""
    assert data["schema_version"] == len(MIGRATIONS) and data["integrity"] == ["ok"]
    assert [m["version"] for m in data["migrations"]] == [m.version for m in MIGRATIONS]
    assert data["rows"] == {name: 0 for name in TABLES} | {
        "schema_migrations": len(MIGRATIONS),
        "runs": 1,
    }


def test_a_file_that_is_not_a_store_is_unhealthy(
    workspace: Path, state_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state_store.write_bytes(b"these are not the pages of a database\n" * 200)
    code, out, _ = run(capsys, "state", "check")
    assert code == 1 and "NOT healthy" in out and "not an upkeep state store" in out


def test_damaged_pages_are_found_by_the_integrity_check(
    workspace: Path, state_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _damage_the_third_page(capsys, state_store, runs=5)  # the runs table's root, a leaf
    code, out, _ = run(capsys, "state", "check", "--json")
    wrapped = json.loads(out)
    assert code == 1 and wrapped["exit_code"] == 1 and not wrapped["data"]["healthy"]
    assert wrapped["errors"] and wrapped["errors"][0]["message"] == wrapped["data"]["problem"]
    assert wrapped["data"]["problem"].startswith("integrity check: ")


def test_a_store_too_damaged_to_read_fails_in_one_line(
    workspace: Path, state_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _damage_the_third_page(capsys, state_store, runs=30)  # an inner page: reads fail
    code, out, err = run(capsys, "runs")
    assert (code, out) == (1, "") and err.count("\n") == 1, err
    assert "the state store failed (database disk image is malformed)" in err
    code, out, _ = run(capsys, "state", "check")
    assert code == 1 and "NOT healthy" in out


def _damage_the_third_page(capsys: pytest.CaptureFixture[str], store: Path, runs: int) -> None:
    for _ in range(runs):
        run(capsys, "provision", "nosuch", "staging")
    with closing(sqlite3.connect(store)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every page in the file itself
    data = bytearray(store.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[2 * page + 8 : 3 * page] = b"\xa5" * (page - 8)  # the third page, past its header
    store.write_bytes(bytes(data))


def test_a_newer_store_is_unhealthy_for_this_upkeep_and_refused_by_runs(
    workspace: Path, state_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    later = Migration(len(MIGRATIONS) + 1, "later", ("CREATE TABLE later (id TEXT)",))
    Store(
        Location(f"sqlite:///{state_store}", state_store), migrations=(*MIGRATIONS, later)
    ).close()
    code, out, _ = run(capsys, "state", "check")
    assert code == 1 and "written by a newer upkeep" in out
    code, out, err = run(capsys, "runs")
    assert (code, out) == (2, "") and err.count("\n") == 1 and "newer upkeep" in err


def test_a_postgresql_store_says_its_server_version_and_never_its_password(
    workspace: Path,
    postgresql_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("UPKEEP_DATABASE_URL", postgresql_url)
    password = urlsplit(postgresql_url).password
    assert password
    run(capsys, "provision", "nosuch", "staging")  # one run on record, on PostgreSQL
    code, out, err = run(capsys, "state", "check")
    assert code == 0 and "healthy" in out.splitlines()[-1] and "PostgreSQL 15" in out
    assert password not in out + err and ":***@127.0.0.1:" in out
    code, out, _ = run(capsys, "state", "check", "--json")
    data = json.loads(out)["data"]
    assert data["backend"] == "postgresql" and data["integrity"] == ["ok"]
    assert data["rows"]["runs"] == 1 and password not in out


def test_a_postgresql_server_out_of_reach_is_unhealthy_and_stops_runs_with_exit_2(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("UPKEEP_DATABASE_URL", "postgresql://ops:hunter2@127.0.0.1:1/upkeep")
    shown = "postgresql://ops:***@127.0.0.1:1/upkeep: cannot reach the state store ("
    code, out, err = run(capsys, "state", "check")  # a health check: says so, exit 1
    assert code == 1 and "NOT healthy: " + shown in out and "hunter2" not in out + err
    code, out, err = run(capsys, "runs")
    assert (code, out) == (2, "") and err.count("\n") == 1
    assert err.startswith("upkeep: " + shown) and "hunter2" not in err
