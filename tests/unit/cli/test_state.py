"""``upkeep state check`` on a real SQLite store: healthy, damaged, newer, refused URL."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from tests.unit.run_cli import run_cli as run
from upkeep.state import Location, Store
from upkeep.state.schema import MIGRATIONS, Migration


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
    assert data["rows"] == {"schema_migrations": len(MIGRATIONS), "runs": 1, "run_projects": 0}


def test_a_file_that_is_not_a_store_is_unhealthy(
    workspace: Path, state_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state_store.write_bytes(b"these are not the pages of a database\n" * 200)
    code, out, _ = run(capsys, "state", "check")
    assert code == 1 and "NOT healthy" in out and "not an upkeep state store" in out


def test_damaged_pages_are_found_by_the_integrity_check(
    workspace: Path, state_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(30):
        run(capsys, "provision", "nosuch", "staging")
    with closing(sqlite3.connect(state_store)) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # every page in the file itself
    data = bytearray(state_store.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[2 * page + 8 : 3 * page] = b"\xa5" * (page - 8)  # the third page, past its header
    state_store.write_bytes(bytes(data))
    code, out, _ = run(capsys, "state", "check", "--json")
    wrapped = json.loads(out)
    assert code == 1 and wrapped["exit_code"] == 1 and not wrapped["data"]["healthy"]
    assert wrapped["errors"] and wrapped["errors"][0]["message"] == wrapped["data"]["problem"]
    assert wrapped["data"]["problem"].startswith("integrity check: ")


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


def test_a_postgresql_url_is_refused_with_exit_2(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("UPKEEP_DATABASE_URL", "postgresql://ops:hunter2@db.example/upkeep")
    code, out, err = run(capsys, "state", "check")
    assert (code, out) == (2, "")
    assert err == (
        "upkeep: UPKEEP_DATABASE_URL=postgresql://ops:***@db.example/upkeep: PostgreSQL support "
        "is not built yet; unset it (SQLite in the state home) or use sqlite:///PATH\n"
    )
