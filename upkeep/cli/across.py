"""A command over a selection of projects: one after another, then one summary.

Each project's own output comes as it did for one project, under a header
line when more than one is selected; a project that fails does not stop the
others. Exit 1 if any failed, else 0 (2 is for bad input, refused before
anything ran). With one project selected, the command behaves exactly as it
always did for one project, --json shape included.

    >>> summary([Outcome("blog", 0), Outcome("shop", 1, why="2 differences")])
    ['summary: 1 of 2 projects succeeded', '  blog: ok', '  shop: failed: 2 differences']
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

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


def run_across(args: argparse.Namespace, selection: Selection, run_one: RunOne) -> int:
    """``run_one`` on each selected project in order; the exit code (see the module)."""
    if selection.single:
        outcome = run_one(selection.projects[0])
        if args.json:
            return print_json(
                args, outcome.data, outcome.code, status=outcome.status, errors=outcome.errors
            )
        return int(outcome.code)
    outcomes = []
    for project in selection.projects:
        if not args.json:
            print(f"== {project.name} ==", flush=True)
        outcomes.append(_guarded(run_one, project))
        if not args.json:
            print()
    code = ExitCode.OK if all(o.ok for o in outcomes) else ExitCode.FAILED
    if args.json:
        errors = [f"{o.project}: {o.why or 'failed'}" for o in outcomes if not o.ok]
        return print_json(args, [o.as_dict() for o in outcomes], code, errors=errors)
    print("\n".join(summary(outcomes)))
    return int(code)


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
