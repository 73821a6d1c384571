"""The step driver with steps that only write down what happened: failure in each position,
undo order, a failed undo, an interrupt, resume after a real SIGKILL, a lock held by another run."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.unit.test_locks import local
from upkeep.errors import RunFailed
from upkeep.locks import Lock, LockHeld
from upkeep.pipeline import LOCK, JournalStore, Pipeline, RunState, Step, StepState

NAMES = ("backup", "database", "files", "smoke")


@dataclass
class Trail:
    """What the fake steps did, in order; ``fail_at`` names the step that raises."""

    fail_at: str | None = None
    undo_fails: str | None = None
    events: list[str] = field(default_factory=list)


def _action(name: str):
    def action(trail: Trail) -> str:
        trail.events.append(name)
        if trail.fail_at == name:
            raise RunFailed(f"{name} broke")
        return f"{name} done"

    return action


def _undo(name: str):
    def undo(trail: Trail) -> str:
        trail.events.append(f"undo {name}")
        if trail.undo_fails == name:
            raise RunFailed(f"cannot put {name} back")
        return f"{name} put back"

    return undo


def job(*, checks: tuple[Step[Trail], ...] = (), locked: bool = False) -> Pipeline[Trail]:
    steps = tuple(Step(name, _action(name), _undo(name)) for name in NAMES)
    return Pipeline("test", steps, checks=checks, locked=locked)


def test_every_step_runs_in_order_and_the_run_succeeds() -> None:
    trail = Trail()
    pipeline = job()
    journal = pipeline.run(trail, pipeline.start("demo"))
    assert trail.events == list(NAMES)
    assert journal.state is RunState.SUCCEEDED
    assert [(s.name, s.state, s.detail) for s in journal.steps] == [
        (name, StepState.DONE, f"{name} done") for name in NAMES
    ]
    assert all(s.seconds is not None for s in journal.steps)


@pytest.mark.parametrize("position", range(len(NAMES)))
def test_a_failure_undoes_every_started_step_the_last_first(position: int) -> None:
    failing = NAMES[position]
    trail = Trail(fail_at=failing)
    pipeline = job()
    journal = pipeline.run(trail, pipeline.start("demo"))
    started = NAMES[: position + 1]  # the failing step may have done half: it is undone too
    assert trail.events == [*started, *(f"undo {name}" for name in reversed(started))]
    assert journal.state is RunState.ROLLED_BACK
    assert journal.error == f"{failing} broke"
    assert journal.step(failing).state is StepState.FAILED
    assert all(journal.step(name).state is StepState.PENDING for name in NAMES[position + 1 :])
    assert journal.undo == [f"{name} put back" for name in reversed(started)]


def test_a_failed_undo_is_recorded_the_others_still_run_and_the_run_needs_a_person() -> None:
    trail = Trail(fail_at="smoke", undo_fails="files")
    pipeline = job()
    journal = pipeline.run(trail, pipeline.start("demo"))
    assert trail.events[-4:] == ["undo smoke", "undo files", "undo database", "undo backup"]
    assert journal.state is RunState.FAILED
    assert journal.error == "smoke broke; files NOT undone: cannot put files back"


def test_a_failing_check_raises_before_any_step_lock_or_save(tmp_path: Path) -> None:
    def refuse(_: Trail) -> str:
        raise RunFailed("sanitize rule fits nothing")

    saved: list[str] = []
    lock = Lock(str(tmp_path / "lock"), "test", local)  # type: ignore[arg-type]
    pipeline = job(checks=(Step("check", refuse),), locked=True)
    trail = Trail()
    with pytest.raises(RunFailed, match="fits nothing"):
        pipeline.run(
            trail,
            pipeline.start("demo"),
            locks=lambda: [lock],
            save=lambda j: saved.append(j.state),
        )
    assert trail.events == [] and saved == []
    assert not (tmp_path / "lock").exists()


def test_the_locks_are_taken_after_the_checks_recorded_and_released(tmp_path: Path) -> None:
    lock_dir = tmp_path / "lock"
    seen: list[bool] = []

    def look(_: Trail) -> str:
        seen.append(lock_dir.exists())
        return "looked"

    pipeline = job(checks=(Step("check", look),), locked=True)
    journal = pipeline.start("demo")
    assert [s.name for s in journal.steps] == ["check", LOCK, *NAMES]
    pipeline.run(
        Trail(),
        journal,
        locks=lambda: [Lock(str(lock_dir), "test", local)],  # type: ignore[arg-type]
    )
    assert seen == [False]
    assert journal.step(LOCK).detail == str(lock_dir)
    assert not lock_dir.exists()  # released


def test_a_lock_held_by_another_run_stops_before_anything_is_recorded(tmp_path: Path) -> None:
    other = Lock(str(tmp_path / "lock"), "another run", local)  # type: ignore[arg-type]
    saved: list[object] = []
    trail = Trail()
    pipeline = job(locked=True)
    journal = pipeline.start("demo")
    try:
        other.acquire()
        # The holder is this very process; a second Lock object is another run's
        # (the re-entry rule is by `where`, which differs here).
        mine = Lock(str(tmp_path / "lock"), "test", local, where="elsewhere")  # type: ignore[arg-type]
        with pytest.raises(LockHeld, match="another run"):
            pipeline.run(trail, journal, locks=lambda: [mine], save=saved.append)
    finally:
        other.release()
    assert trail.events == [] and saved == []
    assert all(s.state is StepState.PENDING for s in journal.steps)


def test_an_interrupt_undoes_the_run_then_goes_on() -> None:
    def interrupted(trail: Trail) -> str:
        trail.events.append("files")
        raise KeyboardInterrupt

    pipeline = Pipeline(
        "test",
        (
            Step("backup", _action("backup"), _undo("backup")),
            Step("files", interrupted, _undo("files")),
        ),
    )
    trail = Trail()
    journal = pipeline.start("demo")
    with pytest.raises(KeyboardInterrupt):
        pipeline.run(trail, journal)
    assert trail.events == ["backup", "files", "undo files", "undo backup"]
    assert journal.state is RunState.ROLLED_BACK


def test_an_interrupt_can_leave_the_run_to_be_resumed() -> None:
    def interrupted(trail: Trail) -> str:
        raise KeyboardInterrupt

    pipeline = Pipeline(
        "test", (Step("backup", _action("backup"), _undo("backup")), Step("files", interrupted))
    )
    trail = Trail()
    journal = pipeline.start("demo")
    with pytest.raises(KeyboardInterrupt):
        pipeline.run(trail, journal, undo_interrupted=False)
    assert trail.events == ["backup"]
    assert journal.state is RunState.RUNNING
    assert journal.where() == "stopped during files"


KILLED_RUN = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from upkeep.pipeline import JournalStore, Pipeline, Step

    log = Path(sys.argv[1])

    def step(name):
        def action(_):
            with log.open("a") as out:
                out.write(name + "\\n")
            if name == "files":
                os.kill(os.getpid(), signal.SIGKILL)  # a kill -9 mid-step: no undo, no cleanup
            return name + " done"
        return action

    store = JournalStore("test")  # the state store UPKEEP_DATABASE_URL names
    pipeline = Pipeline("test", tuple(Step(n, step(n)) for n in ("backup", "database", "files", "smoke")))
    pipeline.run(None, pipeline.start("demo"), save=store.save)
    """
)


def test_a_run_killed_mid_step_resumes_from_that_step(tmp_path: Path) -> None:
    log = tmp_path / "log"
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_RUN, str(log)], capture_output=True, text=True
    )
    assert killed.returncode == -9, killed.stderr
    journal = JournalStore("test").load("demo")
    assert journal is not None
    assert journal.where() == "stopped during files"
    saved = JournalStore("test").saved("demo")
    assert saved is not None and json.loads(saved.body)["steps"][1]["state"] == "done"

    trail = Trail()
    resumed = job().run(trail, journal, save=JournalStore("test").save)
    assert trail.events == ["files", "smoke"]  # backup and database were done: not run again
    assert resumed.state is RunState.SUCCEEDED
    assert JournalStore("test").load("demo").state is RunState.SUCCEEDED  # type: ignore[union-attr]


def test_a_resumed_run_that_fails_undoes_the_steps_done_before_the_kill_too() -> None:
    pipeline = job()
    journal = pipeline.start("demo")
    for name in ("backup", "database"):
        journal.step(name).begin()
        journal.step(name).finish(f"{name} done")  # as a killed run left them
    trail = Trail(fail_at="smoke")
    pipeline.run(trail, journal)
    undone = ["undo smoke", "undo files", "undo database", "undo backup"]
    assert trail.events == ["files", "smoke", *undone]


def test_abort_undoes_what_an_unfinished_run_did_the_last_first() -> None:
    pipeline = job()
    journal = pipeline.start("demo")
    for name in ("backup", "database"):
        journal.step(name).begin()
    journal.step("backup").finish("backup done")
    trail = Trail()
    pipeline.abort(trail, journal, "aborted by the operator")
    assert trail.events == ["undo database", "undo backup"]
    assert journal.state is RunState.ABORTED and journal.error == "aborted by the operator"


def test_a_journal_from_before_jobs_were_named_still_loads(tmp_path: Path) -> None:
    old = {
        "run_id": "20261201T000000Z-abcdef",
        "project": "demo",
        "from_build": "8.2.32-1~deb12u1",
        "to_build": "8.2.36-1~deb12u1",
        "steps": [
            {"name": "lock", "state": "done", "started": None, "finished": None, "detail": ""}
        ],
        "state": "running",
        "started": "2026-12-01T00:00:00.000000Z",
        "finished": None,
        "error": None,
        "control": "ci pid 1",
        "facts": {"shared_host": False},
        "undo": [],
    }
    (tmp_path / "demo.json").write_text(json.dumps(old))  # as the file journals were
    journal = JournalStore("update", old_files=tmp_path).load("demo")
    assert journal is not None and journal.job == "update"
    assert journal.facts["to_build"] == "8.2.36-1~deb12u1"
    assert journal.facts["shared_host"] is False


def test_a_step_touched_by_an_earlier_one_is_undone_though_it_never_started() -> None:
    # On a shared host staging's bump moves production too: production's undo must run.
    steps = (
        Step("bump_staging", _action("bump_staging"), _undo("bump_staging")),
        Step("smoke", _action("smoke")),
        Step(
            "bump_production",
            _action("bump_production"),
            _undo("bump_production"),
            touched_by=("bump_staging",),
        ),
    )
    pipeline = Pipeline("test", steps)
    trail = Trail(fail_at="smoke")
    journal = pipeline.run(trail, pipeline.start("demo"))
    assert trail.events == ["bump_staging", "smoke", "undo bump_production", "undo bump_staging"]
    assert journal.step("bump_production").state is StepState.PENDING
    assert journal.state is RunState.ROLLED_BACK


def test_an_undo_that_names_what_it_restores_says_so_when_it_fails() -> None:
    steps = (
        Step("bump", _action("bump"), _undo("bump"), restores="production"),
        Step("smoke", _action("smoke")),
    )
    pipeline = Pipeline("test", steps)
    journal = pipeline.run(Trail(fail_at="smoke", undo_fails="bump"), pipeline.start("demo"))
    assert journal.state is RunState.FAILED
    assert journal.error == "smoke broke; production NOT put back: cannot put bump back"


def test_the_lock_step_says_what_the_pipeline_wants_said_of_its_locks(tmp_path: Path) -> None:
    lock_dir = tmp_path / "lock"
    pipeline = Pipeline(
        "test",
        (Step("copy", _action("copy")),),
        locked=True,
        lock_detail=lambda held: f"{len(held)} lock(s): {held[0].purpose}",
    )
    journal = pipeline.run(
        Trail(),
        pipeline.start("demo"),
        locks=lambda: [Lock(str(lock_dir), "refresh demo", local)],  # type: ignore[arg-type]
    )
    assert journal.step(LOCK).detail == "1 lock(s): refresh demo"
