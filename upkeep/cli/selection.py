"""The one selector grammar on the command line: ``PROJECT...``, ``--all``, ``--where``,
environments (the grammar itself: ``upkeep.inventory.selection``).

    >>> parser = argparse.ArgumentParser()
    >>> add_selection_arguments(parser, environments=True)
    >>> args = parser.parse_args(["demo", "staging", "--where", "client=acme"])
    >>> args.projects, args.where
    (['demo', 'staging'], ['client=acme'])
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

from upkeep.errors import UsageError
from upkeep.state.current import note_projects
from upkeep.workspace import Workspace

if TYPE_CHECKING:  # the inventory is imported when a selection is made: `--help` stays light
    from upkeep.inventory.selection import Selection


def add_selection_arguments(
    parser: argparse.ArgumentParser, *, environments: bool, parallel: bool = True
) -> None:
    """PROJECT..., --all, --where (and ENV... / --env when ``environments``) on ``parser``;
    --parallel N too, unless the command does not run project by project (``parallel``)."""
    parser.add_argument(
        "projects",
        nargs="*",
        metavar="PROJECT|ENV" if environments else "PROJECT",
        help="project names (inventories/PROJECT.yml)"
        + (", then environments (or 'all'; with --all: environments only)" if environments else "")
        + "; see 'Selecting projects' in the README",
    )
    parser.add_argument("--all", action="store_true", help="every project of the workspace")
    parser.add_argument(
        "--where",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="only projects with this label, on the project or on a server of its "
        "environments (repeatable: all must match)",
    )
    if environments:
        parser.add_argument(
            "--env",
            action="append",
            default=[],
            metavar="ENV",
            help="an environment (repeatable; the same as naming it after the projects)",
        )
    if parallel:
        parser.add_argument(
            "--parallel",
            type=_positive,
            metavar="N",
            help="run up to N projects at once, each in its own process, with a line per "
            "project; a command that changes servers never runs two projects on one server "
            "at once (default: one after another)",
        )


def _positive(text: str) -> int:
    """--parallel's N: a whole number from 1 (argparse says the refusal in one line)."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of projects (1 or more)")
    return int(text)


def select(
    workspace: Workspace, args: argparse.Namespace, *, need_environments: bool = False
) -> Selection:
    """The selection ``args`` (from add_selection_arguments) names, or a UsageError
    (also when ``need_environments`` and none is named)."""
    from upkeep.inventory.loader import discover
    from upkeep.inventory.selection import select_projects, split_words

    if not (args.projects or args.all or args.where):  # as argparse says a missing argument
        command = getattr(args, "command_name", None) or "COMMAND"
        raise UsageError(
            f"the following arguments are required: project (see upkeep {command} --help)"
        )
    names, envs = list(args.projects), list(getattr(args, "env", None) or [])
    if hasattr(args, "env"):  # the command takes environments: split the words
        known = {path.stem for path in discover(workspace)}
        names, named_envs = split_words(names, known, every=args.all, where=bool(args.where))
        envs = named_envs + envs
    selection = select_projects(
        workspace, names, every=args.all, where=args.where, environments=envs
    )
    if need_environments and not selection.environments:
        raise UsageError("no environment given: name them after the projects (or 'all')")
    note_projects(project.name for project in selection.projects)  # the run's record says them
    return selection


def select_for_reports(
    workspace: Workspace, args: argparse.Namespace, formats: Sequence[str]
) -> Selection:
    """The selection of a command that writes a report per project in ``formats``, its
    ``--output`` checked first: bad usage is refused before anything is read (UsageError)."""
    from upkeep.reports.files import STDOUT, destinations, names_one_place

    if args.output == STDOUT:
        destinations(formats, args.format, STDOUT, None, "", json_asked=args.json)
    selection = select(workspace, args)
    if not selection.single and names_one_place(formats, args.format, args.output):
        raise UsageError(
            f"--output {args.output} holds one project's report; give a directory for several"
        )
    return selection
