"""A command over a selection of projects: one after another (or ``--parallel N`` at
once), then one summary.

Each project's own output comes as it did for one project, under a header
line when more than one is selected; a project that fails does not stop the
others. Exit 1 if any failed, else 0 (2 is for bad input, refused before
anything ran). With one project selected, the command behaves exactly as it
always did for one project, --json shape included.

With ``--parallel N`` each project runs in a child process of its own
(``upkeep.across``), up to N at once; a command that changes servers never
runs two projects on one server at once (``read_only`` commands are limited
by N alone). Each project's output is printed whole when it ends, and the
summary lists the projects in the selection's order, however they finished.

    >>> summary([Outcome("blog", 0), Outcome("shop", 1, why="2 differences")])
    ['summary: 1 of 2 projects succeeded', '  blog: ok', '  shop: failed: 2 differences']
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from upkeep import progress
from upkeep.across.child import Ended
from upkeep.across.display import Display
from upkeep.across.pool import run_jobs
from upkeep.across.scheduler import Job
from upkeep.cli.output import print_error, print_json
from upkeep.errors import UpkeepError
from upkeep.exitcodes import ExitCode
from upkeep.inventory import Project
from upkeep.inventory.selection import Selection


@dataclass(frozen=True)
class Outcome:
    """One project's run: its exit code, its --json data, and why it failed if it did."""

    project: str
    code: int
    data: Any = None
    errors: tuple[str, ...] = ()
    why: str = ""
    status: str | None = None  # the envelope's status, where a command sets its own

    @property
    def ok(self) -> bool:
        return self.code == ExitCode.OK

    def as_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "exit_code": int(self.code),
            "ok": self.ok,
            "errors": list(self.errors),
            "data": self.data,
        }


# Runs the command on one project; prints its text output unless --json; never exits.
RunOne = Callable[[Project], Outcome]


def run_across(
    args: argparse.Namespace, selection: Selection, run_one: RunOne, *, read_only: bool = False
) -> int:
    """``run_one`` on each selected project; the exit code (see the module).

    ``read_only``: the command changes no server, so two projects on one server
    may run at once under ``--parallel``.
    """
    if selection.single:
        return answer(args, run_one(selection.projects[0]))
    limit = getattr(args, "parallel", None)
    if limit:
        outcomes = _in_parallel(args, selection, run_one, limit=limit, exclusive=not read_only)
    else:
        outcomes = _in_turn(args, selection, run_one)
    code = ExitCode.OK if all(o.ok for o in outcomes) else ExitCode.FAILED
    if args.json:
        errors = [f"{o.project}: {o.why or 'failed'}" for o in outcomes if not o.ok]
        return print_json(args, [o.as_dict() for o in outcomes], code, errors=errors)
    print("\n".join(summary(outcomes)))
    return int(code)


def answer(args: argparse.Namespace, outcome: Outcome) -> int:
    """One project's outcome as the command gives it: its exit code, in the --json envelope
    if asked (its text, run_one has printed)."""
    if args.json:
        return print_json(
            args, outcome.data, outcome.code, status=outcome.status, errors=outcome.errors
        )
    return int(outcome.code)


def _in_turn(args: argparse.Namespace, selection: Selection, run_one: RunOne) -> list[Outcome]:
    """One project after another, each under its header."""
    outcomes = []
    for project in selection.projects:
        if not args.json:
            print(f"== {project.name} ==", flush=True)
        outcomes.append(_guarded(run_one, project))
        if not args.json:
            print()
    return outcomes


def _in_parallel(
    args: argparse.Namespace,
    selection: Selection,
    run_one: RunOne,
    *,
    limit: int,
    exclusive: bool,
) -> list[Outcome]:
    """Each project in a child process, up to ``limit`` at once; outcomes in selection order."""
    projects = {project.name: project for project in selection.projects}
    jobs = [Job(name, servers_of(project, selection)) for name, project in projects.items()]
    display = _display(list(projects))
    outcomes: dict[str, Outcome] = {}

    def ended(job: Job, end: Ended) -> None:
        outcome = _outcome_of(job.name, end)
        outcomes[job.name] = outcome
        display.ended(job.name, ok=outcome.ok, why=outcome.why)
        display.above(lambda: _print_block(args, job.name, end))

    run_jobs(
        jobs,
        lambda job: _guarded(run_one, projects[job.name]),
        limit=limit,
        exclusive=exclusive,
        display=display,
        ended=ended,
    )
    return [outcomes[name] for name in projects]


def servers_of(project: Project, selection: Selection) -> set[str]:
    """The servers (``address:port``) of the project's selected environments."""
    return {
        f"{host.address}:{host.port}"
        for name in selection.environments_of(project)
        for host in project.environment(name).hosts
    }


def _display(projects: list[str]) -> Display:
    """Live lines on a terminal left to decide; plain lines otherwise (steps unless declined)."""
    live = progress.asked() is None and sys.stderr.isatty() and not progress.muted()
    steps = progress.asked() is not False
    return Display(projects, sys.stderr, live=live, steps=steps)


def _outcome_of(project: str, end: Ended) -> Outcome:
    """The child's Outcome, or a failure saying how the child broke."""
    if isinstance(end.value, Outcome):
        return end.value
    last = end.crash.strip().splitlines()[-1:] or ["no result"]
    return Outcome(project, ExitCode.FAILED, errors=(last[0],), why=f"crashed: {last[0]}")


def _print_block(args: argparse.Namespace, project: str, end: Ended) -> None:
    """One project's output, whole: its text under its header (stdout, unless --json), then
    what it said on stderr and, if it crashed, the traceback."""
    if args.json:
        sys.stderr.write(end.stdout)
    else:
        print(f"== {project} ==\n{end.stdout}", flush=True)
    for line in end.stderr:
        print(line, file=sys.stderr)
    if end.crash:
        print(end.crash, end="", file=sys.stderr)
    sys.stderr.flush()


def _guarded(run_one: RunOne, project: Project) -> Outcome:
    """``run_one``, an UpkeepError becoming that project's failure (said on stderr)."""
    try:
        return run_one(project)
    except UpkeepError as error:
        print_error(error)
        lines = tuple(error.lines())
        return Outcome(project.name, ExitCode.FAILED, errors=lines, why="; ".join(lines))


def summary(outcomes: Sequence[Outcome]) -> list[str]:
    """The lines ending a run over several projects: how many succeeded, then each one."""
    good = sum(o.ok for o in outcomes)
    lines = [f"summary: {good} of {len(outcomes)} projects succeeded"]
    for o in outcomes:
        lines.append(
            f"  {o.project}: ok" if o.ok else f"  {o.project}: failed: {o.why or 'failed'}"
        )
    return lines
