"""A run with ``raising``: the driver undoes a failed run, then the failing step's own error is
raised, so the CLI's exit code still follows the kind of failure (a refusal 2, a failed run 1)."""

from __future__ import annotations

import pytest

from upkeep.errors import RunFailed, UsageError
from upkeep.pipeline import Journal, Pipeline, RunState, Step, StepState


def job(failure: Exception | None, trail: list[str]) -> Pipeline[None]:
    def change(_: None) -> str:
        trail.append("change")
        return "changed"

    def fail(_: None) -> str:
        trail.append("fail")
        if failure is not None:
            raise failure
        return "fine"

    def put_back(_: None) -> str:
        trail.append("undo change")
        return "put back"

    return Pipeline("demo", steps=(Step("change", change, put_back), Step("fail", fail)))


def run_raising(pipeline: Pipeline[None]) -> Journal:
    return pipeline.run(None, pipeline.start("demo"), raising=True)


@pytest.mark.parametrize("failure", [UsageError("no such build"), RunFailed("apply failed")])
def test_the_failing_steps_own_error_is_raised_after_the_undo(failure: Exception) -> None:
    trail: list[str] = []
    with pytest.raises(type(failure)) as raised:
        run_raising(job(failure, trail))
    assert raised.value is failure
    assert trail == ["change", "fail", "undo change"]


def test_a_run_that_succeeds_returns_its_journal() -> None:
    trail: list[str] = []
    journal = run_raising(job(None, trail))
    assert journal.state is RunState.SUCCEEDED
    assert [(s.name, s.state) for s in journal.steps] == [
        ("change", StepState.DONE),
        ("fail", StepState.DONE),
    ]
    assert trail == ["change", "fail"]


def test_a_bug_is_not_the_jobs_failure_and_passes_through_as_it_is() -> None:
    trail: list[str] = []
    with pytest.raises(ZeroDivisionError):
        run_raising(job(ZeroDivisionError("bug"), trail))
    assert trail == ["change", "fail", "undo change"]  # interrupted runs are undone too


def test_without_raising_the_journal_says_how_the_run_ended() -> None:
    trail: list[str] = []
    pipeline = job(RunFailed("apply failed"), trail)
    journal = pipeline.run(None, pipeline.start("demo"))
    assert (journal.state, journal.error) == (RunState.ROLLED_BACK, "apply failed")
