"""Run jobs in child processes, up to ``limit`` at once, as the scheduler allows.

Each job's stderr progress lines become its step on the display as they come;
its other stderr lines are kept for when it ends. ``ended`` is called once per
job, in the order they finish, with everything the child left.

    >>> import io
    >>> shown = Display(["a", "b"], io.StringIO(), live=False)
    >>> done = []
    >>> run_jobs([Job("a", {"web1"}), Job("b", {"web1"})], lambda job: job.name.upper(),
    ...          limit=2, exclusive=True, display=shown, ended=lambda job, end: done.append(end.value))
    >>> done
    ['A', 'B']
"""

from __future__ import annotations

import selectors
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial

from upkeep.across.child import Child, Ended, start
from upkeep.across.display import REDRAW_EVERY, Display, step_of
from upkeep.across.scheduler import Job, blocker, startable


@dataclass
class _Running:
    job: Job
    child: Child
    kept: list[str]  # stderr lines that are not progress: shown with the job's output


def run_jobs(
    jobs: Sequence[Job],
    work: Callable[[Job], object],
    *,
    limit: int,
    exclusive: bool,
    display: Display,
    ended: Callable[[Job, Ended], None],
) -> None:
    """``work(job)`` for every job in a child of its own (see the module)."""
    waiting, running = list(jobs), dict[str, _Running]()
    selector = selectors.DefaultSelector()
    try:
        while waiting or running:
            jobs_running = [run.job for run in running.values()]
            for job in startable(waiting, jobs_running, limit=limit, exclusive=exclusive):
                waiting.remove(job)
                child = start(job.name, partial(work, job))
                running[job.name] = run = _Running(job, child, [])
                selector.register(child.stderr_fd, selectors.EVENT_READ, run)
                selector.register(child.result_fd, selectors.EVENT_READ, run)
                display.running(job.name)
            _say_waits(waiting, [run.job for run in running.values()], display, exclusive)
            for key, _ in selector.select(timeout=REDRAW_EVERY):
                _read(key.fd, key.data, selector, display)
            for run in [run for run in running.values() if run.child.finished]:
                del running[run.job.name]
                if run.child.stderr_open:
                    selector.unregister(run.child.stderr_fd)
                end = run.child.reap()
                ended(run.job, replace(end, stderr=(*run.kept, *end.stderr)))
            display.tick()
    finally:
        selector.close()
        for run in running.values():  # interrupted: a child undoes what it began, then ends
            run.child.abandon()
        display.close()


def _read(fd: int, run: _Running, selector: selectors.BaseSelector, display: Display) -> None:
    child = run.child
    if fd == child.result_fd:
        child.read_result()
        if child.finished:
            selector.unregister(fd)
        return
    for line in child.read_stderr():
        step = step_of(line)
        if step is None:
            run.kept.append(line)
        elif step:
            display.step(run.job.name, step)
    if not child.stderr_open:
        selector.unregister(fd)


def _say_waits(
    waiting: Sequence[Job], running: Sequence[Job], display: Display, exclusive: bool
) -> None:
    """Why each waiting job waits: a server busy with another project, or the limit."""
    for job in waiting:
        holder = blocker(job, running) if exclusive else None
        if holder is not None:
            shared = ", ".join(sorted(map(str, job.servers & holder.servers)))
            display.waiting(job.name, f"{holder.name} is on {shared}")
        else:
            display.waiting(job.name, "")
