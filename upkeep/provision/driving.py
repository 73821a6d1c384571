"""Running a job on the step driver when its caller needs the failure itself, not only the journal.

The driver (``upkeep.pipeline``) undoes a failed run, records why and hands
back the journal. provision, deploy, rollback and ``dev up`` answer the CLI,
whose exit code follows the kind of failure (a refusal exits 2, a failed run
1), so once the driver has done its part the failing step's own error is
raised again, as the job raised it before it ran on the driver.

    >>> from upkeep.errors import UsageError
    >>> def refuse(_):
    ...     raise UsageError("no such build")
    >>> job = Pipeline("demo", steps=(Step("choose", refuse),))
    >>> run_raising(job, None, "site")
    Traceback (most recent call last):
    upkeep.errors.UsageError: no such build
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TypeVar

from upkeep.locks import Lock
from upkeep.pipeline import Journal, Pipeline, RunState, Step
from upkeep.pipeline.driver import FAILURES

C = TypeVar("C")


def run_raising(
    pipeline: Pipeline[C],
    context: C,
    project: str,
    *,
    locks: Callable[[], Sequence[Lock]] = tuple,
    say: Callable[[str], None] = lambda _: None,
) -> Journal:
    """Run ``pipeline`` on a new journal; the journal, or the failing step's error once undone."""
    failures: list[BaseException] = []
    steps = tuple(replace(step, action=_remembered(step, failures)) for step in pipeline.steps)
    journal = replace(pipeline, steps=steps).run(
        context, pipeline.start(project), locks=locks, say=say
    )
    if failures and journal.state is not RunState.SUCCEEDED:
        raise failures[-1]
    return journal


def _remembered(step: Step[C], failures: list[BaseException]) -> Callable[[C], str]:
    def action(context: C) -> str:
        try:
            return step.action(context)
        except FAILURES as failure:
            failures.append(failure)
            raise

    return action
