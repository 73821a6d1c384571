"""Jobs in real child processes: N at once, never two on one server when exclusive, a job
that fails or crashes stops no other, each job's output comes back whole."""

from __future__ import annotations

import io
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from upkeep.across.child import Ended
from upkeep.across.display import Display
from upkeep.across.pool import run_jobs
from upkeep.across.scheduler import Job

NAP = 0.3  # each job's length: long enough that jobs allowed to overlap do


def timed(job: Job) -> tuple[float, float]:
    """A job that says a step and a line of output, naps, and returns when it ran."""
    began = time.time()
    print(f"  … {job.name} napping", file=sys.stderr, flush=True)
    print(f"{job.name} says hello")
    time.sleep(NAP)
    return began, time.time()


def run(
    jobs: list[Job], *, limit: int, exclusive: bool, work: Callable[[Job], object] = timed
) -> tuple[dict[str, Ended], str]:
    """Each job's end, and the plain lines the display showed."""
    shown = io.StringIO()
    ended: dict[str, Ended] = {}
    display = Display([job.name for job in jobs], shown, live=False)

    def end(job: Job, end: Ended) -> None:
        ended[job.name] = end
        display.ended(job.name, ok=not end.crash, why="crashed")

    run_jobs(jobs, work, limit=limit, exclusive=exclusive, display=display, ended=end)
    return ended, shown.getvalue()


def most_at_once(spans: list[tuple[float, float]]) -> int:
    edges = sorted([(start, 1) for start, _ in spans] + [(end, -1) for _, end in spans])
    now = peak = 0
    for _, step in edges:
        now += step
        peak = max(peak, now)
    return peak


def test_up_to_n_run_at_once() -> None:
    jobs = [Job(name, {f"{name}:22"}) for name in ("a", "b", "c", "d")]
    ended, _ = run(jobs, limit=2, exclusive=True)
    spans = [ended[job.name].value for job in jobs]
    assert most_at_once(spans) == 2  # type: ignore[arg-type]


def test_two_jobs_on_one_server_never_overlap_when_exclusive_and_do_when_read_only() -> None:
    jobs = [Job("blog", {"web1:22"}), Job("shop", {"web1:22", "db1:22"})]
    ended, shown = run(jobs, limit=2, exclusive=True)
    (_, blog_end), (shop_start, _) = ended["blog"].value, ended["shop"].value  # type: ignore[misc]
    assert blog_end <= shop_start
    assert "shop: waiting: blog is on web1:22" in shown
    ended, shown = run(jobs, limit=2, exclusive=False)
    assert most_at_once([ended["blog"].value, ended["shop"].value]) == 2  # type: ignore[list-item]
    assert "waiting" not in shown


def crashes_or_fails(job: Job) -> str:
    if job.name == "crash":
        raise RuntimeError("a bug in one project")
    if job.name == "die":
        sys.stderr.write("going\n")
        sys.stderr.flush()
        os._exit(9)
    return f"{job.name} done"


@pytest.mark.parametrize("limit", [1, 3])
def test_a_job_that_crashes_or_dies_stops_no_other(limit: int) -> None:
    jobs = [Job("crash"), Job("die"), Job("fine")]
    ended, _ = run(jobs, limit=limit, exclusive=True, work=crashes_or_fails)
    assert ended["fine"].value == "fine done" and not ended["fine"].crash
    assert ended["crash"].value is None
    assert ended["crash"].crash.strip().endswith("RuntimeError: a bug in one project")
    assert ended["die"].crash == "the child process died without a result"
    assert ended["die"].stderr == ("going",)


def test_each_jobs_output_comes_back_whole_and_its_progress_lines_are_its_steps() -> None:
    ended, shown = run([Job("a"), Job("b")], limit=2, exclusive=False)
    assert ended["a"].stdout == "a says hello\n" and ended["b"].stdout == "b says hello\n"
    assert ended["a"].stderr == ()  # the progress line went to the display, not the block
    lines = [line.split(" ", 1)[1] for line in shown.splitlines()]
    for name in ("a", "b"):
        assert lines.index(f"{name}: running") < lines.index(f"{name}: {name} napping")
        assert lines.index(f"{name}: {name} napping") < lines.index(f"{name}: ok")


def test_an_interrupted_run_waits_for_its_children_to_end_and_kills_none(tmp_path: Path) -> None:
    """A child heard the terminal's interrupt too and undoes what it began: the parent
    must not cut that short, nor leave it behind."""
    done = tmp_path / "slow finished"
    pids = tmp_path / "pids"

    def work(job: Job) -> None:
        with pids.open("a") as said:
            said.write(f"{os.getpid()}\n")
        if job.name == "slow":
            time.sleep(NAP)
            done.write_text("undone and ended\n")

    def interrupted(job: Job, end: Ended) -> None:
        raise KeyboardInterrupt

    display = Display(["fast", "slow"], io.StringIO(), live=False)
    with pytest.raises(KeyboardInterrupt):
        run_jobs(
            [Job("fast"), Job("slow")],
            work,
            limit=2,
            exclusive=False,
            display=display,
            ended=interrupted,
        )
    assert done.read_text() == "undone and ended\n"
    children = [int(pid) for pid in pids.read_text().split()]
    assert len(children) == 2
    for pid in children:  # each was waited for: none is left; other tests' children may be
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
