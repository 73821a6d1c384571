"""Journals in the state store, on both engines: a run saved from one machine's state home is
seen, with who saved it, from another; the file journals of before are imported on first use,
nothing lost; a store out of reach stops the run in one line."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from upkeep.errors import UsageError
from upkeep.pipeline import JournalStore, RunState
from upkeep.state import Location, locate
from upkeep.update import fleet
from upkeep.update import runs as update_runs
from upkeep.update.runs import started

OLD, NEW = "8.2.32-1~deb12u1", "8.2.36-1~deb12u1"


def test_a_journal_saved_from_one_state_home_is_read_from_another_with_who_saved_it(
    store_location: Location, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UPKEEP_DATABASE_URL", store_location.dsn or store_location.url)
    monkeypatch.setenv("UPKEEP_STATE_DIR", str(tmp_path / "runner-a"))
    journal = started("shop", OLD, NEW, ("lock", "bump"))
    journal.step("lock").finish("locked")
    update_runs.store().save(journal)  # ... and runner A is killed here

    monkeypatch.setenv("UPKEEP_STATE_DIR", str(tmp_path / "runner-b"))
    there = update_runs.store()
    assert there.load("shop") == journal and there.load("shop").next_step() == "bump"  # type: ignore[union-attr]
    saved = there.saved("shop")
    assert saved is not None and saved.run_id == journal.run_id and saved.state == "running"
    assert (saved.machine, saved.state_home) == (socket.gethostname(), str(tmp_path / "runner-a"))
    assert there.source("shop") == f"{store_location.url} journal update/shop"

    journal.end(RunState.SUCCEEDED)
    there.save(journal)  # runner B carries it on: the record says B now
    saved = there.saved("shop")
    assert saved is not None and saved.state_home == str(tmp_path / "runner-b")
    assert saved.state == "succeeded"


def test_an_old_state_home_s_journal_files_are_imported_on_first_use_nothing_lost(
    store_location: Location, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UPKEEP_DATABASE_URL", store_location.dsn or store_location.url)
    home = tmp_path / "state"
    monkeypatch.setenv("UPKEEP_STATE_DIR", str(home))
    # Another machine already moved "blog" forward in the shared store.
    newer = started("blog", OLD, NEW, ("lock",))
    update_runs.store().save(newer)
    (home / "updates" / "fleet").mkdir(parents=True)
    old_shop = started("shop", OLD, NEW, ("lock", "bump"))
    old_shop.step("lock").finish("locked")
    old_blog = started("blog", OLD, "8.2.34-1~deb12u1", ("lock",))
    fleet_run = started("fleet", OLD, NEW, ("plan",))
    files = {
        "updates/shop.json": old_shop.to_dict(),
        "updates/blog.json": old_blog.to_dict(),
        "updates/fleet/run.json": fleet_run.to_dict(),
    }
    for name, data in files.items():
        (home / name).write_text(json.dumps(data, indent=2) + "\n")

    assert update_runs.store().load("shop") == old_shop
    assert update_runs.store().load("blog") == newer  # the store's own is kept
    assert fleet.store().load(fleet.RUN_KEY) == fleet_run
    left = sorted(p.relative_to(home).as_posix() for p in home.rglob("*") if p.is_file())
    assert left == [f"{name}.imported" for name in sorted(files)]  # renamed, never deleted
    assert json.loads((home / "updates/blog.json.imported").read_text()) == old_blog.to_dict()
    saved = update_runs.store().saved("shop")
    assert saved is not None and saved.state_home == str(home)


def test_a_store_out_of_reach_stops_a_journal_in_one_line_without_the_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = "postgresql://ops:hunter2@127.0.0.1:1/upkeep"
    monkeypatch.setenv("UPKEEP_DATABASE_URL", url)
    journals = JournalStore("update", location=locate())
    with pytest.raises(UsageError) as refused:
        journals.load("shop")
    message = str(refused.value)
    assert "\n" not in message and "hunter2" not in message
    assert message.startswith("postgresql://ops:***@127.0.0.1:1/upkeep: cannot reach the state")
