"""One driver for every job: named steps, timed and reported, under the run's locks, journaled, undone in reverse.

A job is a ``Pipeline``: checks that change nothing, then steps. Each step
is a name, a function of the job's context that returns a one-line detail,
and optionally an undo. The driver runs the checks (a failing check raises as
it is: nothing was locked, recorded or changed), takes the run's locks (the
journal's ``lock`` step says which), then runs every step not yet done,
saving the journal before and after each. When a step fails, every step that
had started is undone, the last first, as nested backup-and-restore blocks
unwind (pipx's preserve-and-restore); a failed undo is recorded and the
others still run. The locks are released whatever happens.

    >>> from upkeep.errors import RunFailed
    >>> trail = []
    >>> def fails(_):
    ...     raise UpkeepError("no room")
    >>> job = Pipeline("demo", steps=(
    ...     Step("backup", lambda _: "kept", undo=lambda _: trail.append("restore") or "restored"),
    ...     Step("copy", fails),
    ... ))
    >>> journal = job.run(None, job.start("site"))
    >>> journal.state, journal.error, trail
    (<RunState.ROLLED_BACK: 'rolled back'>, 'no room', ['restore'])

Resuming is running the same pipeline on a journal loaded from its store:
steps already done are skipped (their undo still counts if a later one fails),
and a step the journal shows as running, because the run died in it, is run again.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Generic, TypeVar

from upkeep import credentials
from upkeep.errors import UpkeepError
from upkeep.locks import Lock, acquire_all, release_all
from upkeep.pipeline.journal import Journal, RunState, StepRecord, StepState

C = TypeVar("C")
Say = Callable[[str], None]

LOCK = "lock"  # the step the driver records once it holds the run's locks
# A job's own failures: the run is undone and reported. Anything else (a bug, Ctrl-C, a
# kill) is not the job's to judge: it is undone only when the job says so, then raised.
FAILURES = (UpkeepError, subprocess.TimeoutExpired)


def _quiet(_: str) -> None:
    return None


def _no_save(_: Journal) -> None:
    return None


@dataclass(frozen=True)
class Step(Generic[C]):
    """A named piece of a job: ``action(context)`` does it and says what it did in one line."""

    name: str
    action: Callable[[C], str]
    undo: Callable[[C], str] | None = None  # puts back what ``action`` did, even half of it
    # Steps that change what this one changes too: once any of them started, this step's
    # undo runs even if it never started (on a shared host, staging's bump moves production).
    touched_by: tuple[str, ...] = ()
    restores: str = ""  # what the undo puts back, named when it fails ("production NOT put back")


@dataclass(frozen=True)
class Pipeline(Generic[C]):
    """A job as the list of its named steps; ``run`` drives them, ``abort`` undoes a run."""

    job: str
    steps: tuple[Step[C], ...]
    checks: tuple[Step[C], ...] = ()  # change nothing; run before any lock is taken
    locked: bool = False  # the run holds locks: its journal has a ``lock`` step
    lock_detail: Callable[[Sequence[Lock]], str] = lambda held: describe_locks(held)

    def names(self) -> list[str]:
        return [
            *(check.name for check in self.checks),
            *([LOCK] if self.locked else []),
            *(step.name for step in self.steps),
        ]

    def start(self, project: str) -> Journal:
        """A new journal for a run of this job on ``project``."""
        return Journal.start(self.job, project, self.names())

    def run(
        self,
        context: C,
        journal: Journal,
        *,
        locks: Callable[[], Sequence[Lock]] = tuple,
        save: Callable[[Journal], None] = _no_save,
        say: Say = _quiet,
        undo_interrupted: bool = True,
        raising: bool = False,
    ) -> Journal:
        """Run (or resume) the job; the journal, ended, whatever the outcome.

        ``locks`` gives the run's locks once the checks passed; a lock held by
        another run raises ``LockHeld`` before anything is recorded. With
        ``undo_interrupted`` False a run stopped by something other than its
        own failure (Ctrl-C) is left as it stands, to be resumed or aborted.
        With ``raising``, a failed run's own error is raised once it is undone
        (for callers whose answer follows the kind of failure: a refusal exits
        2, a failed run 1); otherwise the journal says how it ended.
        """
        for check in self.checks:
            _run_step(check, context, journal, say, _no_save)
        held = acquire_all(locks())
        try:
            if self.locked and not journal.done(LOCK):
                record = journal.step(LOCK)
                record.begin()
                record.finish(self.lock_detail(held))
            save(journal)
            self._drive(context, journal, save, say, undo_interrupted, raising)
        finally:
            release_all(held)
        return journal

    def abort(
        self,
        context: C,
        journal: Journal,
        reason: str,
        *,
        locks: Callable[[], Sequence[Lock]] = tuple,
        save: Callable[[Journal], None] = _no_save,
        say: Say = _quiet,
    ) -> Journal:
        """Undo what an unfinished run did, under its locks (held by a live run: LockHeld)."""
        held = acquire_all(locks())
        try:
            _undo(self._started(journal), context, journal, save, say, RunState.ABORTED, reason)
            save(journal)
        finally:
            release_all(held)
        return journal

    def _drive(
        self,
        context: C,
        journal: Journal,
        save: Callable[[Journal], None],
        say: Say,
        undo_interrupted: bool,
        raising: bool,
    ) -> None:
        try:
            with _undone_on_failure(self, context, journal, save, say, undo_interrupted):
                for step in self.steps:
                    if journal.step(step.name).state is not StepState.DONE:
                        _run_step(step, context, journal, say, save)
            journal.end(RunState.SUCCEEDED)
        except FAILURES:
            # recorded in the journal by _undone_on_failure
            if raising:
                save(journal)
                raise
        save(journal)

    def _started(self, journal: Journal) -> list[Step[C]]:
        """The steps whose undo runs: started, or touched by a started one."""
        return [
            step
            for step in self.steps
            if any(journal.started_step(name) for name in (step.name, *step.touched_by))
        ]


def _run_step(
    step: Step[C], context: C, journal: Journal, say: Say, save: Callable[[Journal], None]
) -> None:
    record = journal.step(step.name)
    record.begin()
    save(journal)
    say(f"{step.name} …")
    detail = step.action(context)
    record.finish(detail)
    save(journal)
    say(f"{step.name}: {detail} ({record.seconds or 0:.1f} s)")


@contextmanager
def _undone_on_failure(
    pipeline: Pipeline[C],
    context: C,
    journal: Journal,
    save: Callable[[Journal], None],
    say: Say,
    undo_interrupted: bool,
) -> Iterator[None]:
    """The backup-and-restore block around a run's steps: a failure inside undoes them."""
    try:
        yield
    except FAILURES as failure:
        reason = credentials.redact(str(failure))
        _fail_running(journal, reason)
        say(f"failed: {reason}")
        _undo(pipeline._started(journal), context, journal, save, say, RunState.ROLLED_BACK, reason)
        raise
    except BaseException as interruption:
        if not undo_interrupted:
            raise  # the journal still says where it stopped: resume or abort carries on
        reason = f"interrupted ({type(interruption).__name__})"
        _fail_running(journal, reason)
        _undo(pipeline._started(journal), context, journal, save, say, RunState.ROLLED_BACK, reason)
        save(journal)
        raise


def _fail_running(journal: Journal, reason: str) -> None:
    running = journal.running_step()
    if running is not None:
        running.fail(reason)


def _undo(
    started: Sequence[Step[C]],
    context: C,
    journal: Journal,
    save: Callable[[Journal], None],
    say: Say,
    state: RunState,
    reason: str,
) -> None:
    """Undo every started step that can be, the last first, and end the run as ``state``
    (FAILED if an undo failed: a failed undo is noted and the others still run)."""
    problems = []
    for step in reversed(started):
        if step.undo is None:
            continue
        try:
            journal.undo.append(step.undo(context))
        except FAILURES as failure:
            what = f"{step.restores} NOT put back" if step.restores else f"{step.name} NOT undone"
            problems.append(f"{what}: {credentials.redact(str(failure))}")
            say(problems[-1])
        save(journal)
    journal.end(RunState.FAILED if problems else state, "; ".join([reason, *problems]))


def describe_locks(locks: Sequence[Lock]) -> str:
    """The lock step's detail: each lock held, and whether a stale one was taken over."""
    if not locks:
        return "no locks"
    return "; ".join(
        f"{lock.lock_dir} ({lock.taken_over})" if lock.taken_over else lock.lock_dir
        for lock in locks
    )


def records(journal: Journal) -> tuple[StepRecord, ...]:
    """The steps that ran, for a report (the ones never reached are left out)."""
    return tuple(step for step in journal.steps if step.state is not StepState.PENDING)
