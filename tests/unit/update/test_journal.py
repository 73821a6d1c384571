"""The update's run journal: where a run is, across a crash, in the state store (both engines)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from upkeep.errors import UpkeepError
from upkeep.pipeline import JournalStore, RunState, StepState
from upkeep.state import Location, open_store
from upkeep.update.runs import started
from upkeep.update.workflow import STEPS

OLD, NEW = "8.2.32-1~deb12u1", "8.2.36-1~deb12u1"


def test_a_run_killed_midway_reads_back_stopped_at_its_running_step(
    store_location: Location,
) -> None:
    store = JournalStore("update", location=store_location)
    journal = started("demo", OLD, NEW, STEPS)
    for name in STEPS[: STEPS.index("bump_production")]:
        journal.step(name).begin()
        journal.step(name).finish(f"{name} done")
    journal.step("bump_production").begin()
    journal.facts["production_commit"] = "abc123"
    store.save(journal)  # ... and here the control machine dies

    again = store.load("demo")
    assert again is not None and again == journal
    assert again.state is RunState.RUNNING and not again.state.finished
    assert again.where() == "stopped during bump_production"
    assert again.next_step() == "bump_production"  # run again on resume: steps are idempotent
    assert again.started_step("bump_production") and not again.started_step("smoke_production")
    assert again.facts["production_commit"] == "abc123"


def test_a_failed_step_and_a_finished_run_say_so() -> None:
    journal = started("demo", OLD, NEW, STEPS)
    for name in STEPS[: STEPS.index("refresh_staging")]:
        journal.step(name).finish(f"{name} done")
    journal.step("refresh_staging").begin()
    journal.step("refresh_staging").fail("staging unreachable")
    assert journal.where() == "failed at refresh_staging"
    journal.end(RunState.ROLLED_BACK, "staging unreachable")
    assert journal.state.finished
    assert journal.where().startswith("rolled back at ") and journal.where().endswith(
        ": staging unreachable"
    )


def test_step_times_come_from_their_stamps() -> None:
    journal = started("demo", OLD, NEW, ("lock",))
    step = journal.step("lock")
    assert step.seconds is None
    step.started, step.finished, step.state = (
        "2026-11-23T10:00:00.000000Z",
        "2026-11-23T10:01:30.500000Z",
        StepState.DONE,
    )
    assert step.seconds == 90.5


def test_a_journal_is_replaced_whole_and_a_broken_one_is_a_clear_error(
    store_location: Location, tmp_path: Path
) -> None:
    store = JournalStore("update", location=store_location)
    store.save(started("demo", OLD, "8.2.34-1~deb12u1", STEPS))
    store.save(started("demo", OLD, NEW, STEPS))
    saved = store.saved("demo")
    assert saved is not None and json.loads(saved.body)["facts"]["to_build"] == NEW
    assert store.load("other") is None
    with open_store(store_location) as raw:
        raw.save_journal(replace(saved, body='{"run_id": "x"'))
    with pytest.raises(UpkeepError, match=r"update/demo cannot be read .* start a new run"):
        store.load("demo")
    (tmp_path / "shop.json").write_text('{"run_id": "x"')  # a broken file of before
    old = JournalStore("update", old_files=tmp_path, location=store_location)
    with pytest.raises(UpkeepError, match=r"shop\.json cannot be read .* move it away"):
        old.load("shop")
