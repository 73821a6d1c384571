"""``upkeep propose PROJECT... | --all | --where KEY=VALUE``: a major-upgrade proposal per
project whose plan asks for them, when a newer PHP line is offered."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from upkeep.care.propose import Proposed, default_output, propose
from upkeep.cli.estimate import estimate_project
from upkeep.cli.output import print_json
from upkeep.cli.selection import add_selection_arguments, select
from upkeep.errors import UsageError
from upkeep.exitcodes import ExitCode
from upkeep.inventory import Project
from upkeep.inventory.identifiers import php_line
from upkeep.inventory.pins import load_pins
from upkeep.update.proposal import check_for_update
from upkeep.versions import PhpBuild
from upkeep.workspace import Workspace, find_workspace


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "propose",
        help="major-upgrade proposals for the projects whose plan asks for them",
        description="For each project whose care plan has major_proposals: when production's "
        "package source (read on the host, as `update minor --check` does) offers a newer PHP "
        "line than the project's, estimate the upgrade to the newest one (reports/estimate/) "
        "and write a proposal beside it (reports/proposals/: Markdown and JSON) with the hours, "
        "the findings and a recommended window (the first production maintenance window at "
        "least 14 days away). Minor builds are within the plan (upkeep update minor); majors "
        "are only proposed. Meant for a scheduled run.",
        epilog="Exit codes: 0 done, whether or not anything was proposed; 1 production's "
        "package source could not be read; 2 bad input.",
    )
    add_selection_arguments(parser, environments=False, parallel=False)
    parser.add_argument(
        "--offered",
        metavar="X.Y,...",
        type=_lines,
        help="the PHP lines the package source offers, instead of reading production's "
        "(to plan ahead: what if 8.4 were offered?)",
    )
    parser.add_argument("--output", type=Path, metavar="DIR", help="default: reports/proposals/")
    parser.add_argument("--json", action="store_true", help="print what was proposed as JSON")
    parser.set_defaults(handler=_propose)


def _lines(text: str) -> tuple[str, ...]:
    try:
        return tuple(php_line(part.strip()) for part in text.split(","))
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _propose(args: argparse.Namespace) -> int:
    workspace = find_workspace(args.root)
    projects = list(select(workspace, args).projects)
    output = args.output or default_output(workspace)
    now = dt.datetime.now(dt.UTC)

    def offered(project: Project) -> tuple[str, Sequence[str]]:
        if args.offered is not None:
            return _line_of(workspace, project), args.offered
        check = check_for_update(project, load_pins(workspace, project.name))
        pinned = check.proposal.pinned
        return PhpBuild.parse(pinned).line, check.proposal.newer_lines

    def estimator(project: Project, to_line: str) -> tuple[dict[str, object], list[Path]]:
        return estimate_project(workspace, project.name, to_line)

    done = [propose(p, offered, estimator, output, now) for p in projects]
    if args.json:
        return print_json(args, [item.to_dict() for item in done], ExitCode.OK)
    print(render(done))
    return int(ExitCode.OK)


def _line_of(workspace: Workspace, project: Project) -> str:
    """Production's line: its pinned build's, else the inventory's."""
    build = load_pins(workspace, project.name).get("production").php_build
    try:
        return PhpBuild.parse(build).line if build else project.php.line
    except ValueError as error:
        raise UsageError(f"{project.name}: production's pin {build!r}: {error}") from None


def render(done: Sequence[Proposed]) -> str:
    lines = []
    for item in done:
        if item.proposal is None:
            lines.append(f"{item.project}: nothing proposed ({item.decision.why})")
            continue
        lines.append(
            f"{item.project}: PHP {item.proposal.from_line} → {item.proposal.to_line} proposed, "
            f"{item.proposal.hours.describe()}"
        )
        lines += [f"  proposal: {path}" for path in item.written]
    return "\n".join(lines)
