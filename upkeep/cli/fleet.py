"""``upkeep fleet status [PROJECT... | --all | --where KEY=VALUE]``: one row per project and environment, as recorded."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Sequence
from functools import partial

from upkeep.cli.check import history_file, history_option
from upkeep.cli.output import print_json, table
from upkeep.cli.selection import add_selection_arguments, select
from upkeep.drift.workflow import drift
from upkeep.exitcodes import ExitCode
from upkeep.fleet.status import FleetStatus, Sources, fleet_status
from upkeep.inventory.pins import load_pins
from upkeep.pipeline import Journal
from upkeep.update import fleet as fleet_updates
from upkeep.update import runs
from upkeep.workspace import Workspace, find_workspace

HEADERS = (
    "project",
    "env",
    "servers",
    "PHP pinned",
    "newest offered",
    "ref",
    "last refresh",
    "last update",
    "drift",
    "incidents",
    "SLA month",
    "certificate",
    "warranty",
)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    fleet = commands.add_parser(
        "fleet",
        help="every project at once: the fleet's state as recorded",
        description="The fleet seen at once, from what upkeep recorded.",
    )
    verbs = fleet.add_subparsers(dest="verb", metavar="VERB", required=True)
    status = verbs.add_parser(
        "status",
        help="one row per project and environment, and what needs attention",
        description="One row per project and environment: servers, PHP pinned and the newest "
        "build offered (from the last update run), code ref, last refresh (reports/refresh/), "
        "last update and its outcome (the update journal), drift (--drift only), open "
        "incidents, this month's SLA and certificate days left (the monitoring history "
        "`upkeep check` keeps), and the project's warranty (`upkeep warranty`). No host is reached unless --drift is given; what was never "
        "recorded says 'not checked'. Each figure's source is listed under the table.",
        epilog="Exit codes: 0 nothing needs attention; 1 something does (an unfinished or "
        "failed update, open incidents, a certificate at its warning tier, drift, SLA under "
        "target, a void warranty), one line each; 2 bad input.",
    )
    recorded_view_options(status, "the status")  # none given: every project
    status.set_defaults(handler=_status)


def recorded_view_options(parser: argparse.ArgumentParser, what: str) -> None:
    """A view of what upkeep recorded: the selectors, --drift, --history and --json."""
    # One view from local records, not a run per project: nothing to run at once.
    add_selection_arguments(parser, environments=False, parallel=False)
    parser.add_argument(
        "--drift", action="store_true", help="read each project's hosts for drift (SSH)"
    )
    history_option(parser)
    parser.add_argument("--json", action="store_true", help=f"print {what} as JSON")


def _status(args: argparse.Namespace) -> int:
    workspace = find_workspace(args.root)
    args.all = args.all or not (args.projects or args.where)  # the fleet, unless narrowed
    projects = list(select(workspace, args).projects)
    sources = recorded_sources(workspace, args)
    now = dt.datetime.now(dt.UTC)
    status = fleet_status(projects, sources, now, drift if args.drift else None)
    code = ExitCode.FAILED if status.needs_attention else ExitCode.OK
    if args.json:
        state = "attention" if status.needs_attention else "ok"
        return print_json(args, status.to_dict(), code, status=state, errors=status.attention)
    print(render(status))
    return int(code)


def recorded_sources(workspace: Workspace, args: argparse.Namespace) -> Sources:
    """Where fleet status reads its figures; the monitoring history is the one ``--history``
    names (it must exist), else the default one if it is kept."""
    return Sources(
        pins=partial(load_pins, workspace),
        updates=runs.store(),
        fleet_update=_last_fleet_update(),
        refreshes=workspace.reports / "refresh",
        history=history_file(args),
    )


def _last_fleet_update() -> tuple[Journal, str] | None:
    """The last ``update minor --all`` run's journal and where it is, if there was one."""
    store = fleet_updates.store()
    journal = store.load(fleet_updates.RUN_KEY)
    return (journal, store.source(fleet_updates.RUN_KEY)) if journal is not None else None


def render(status: FleetStatus) -> str:
    """The table, each recorded figure marked [n] with its source listed below, then what
    needs attention (or that nothing does)."""
    sources: dict[str, int] = {}

    def cell(text: str, source: str) -> str:
        if not source:
            return text
        number = sources.setdefault(source, len(sources) + 1)
        return f"{text} [{number}]"

    rows: list[Sequence[str]] = [
        (
            row.project,
            row.environment,
            ", ".join(row.servers),
            *(cell(figure.text, figure.source) for figure in row.figures().values()),
        )
        for row in status.rows
    ]
    lines = [table(HEADERS, rows) if rows else "no projects in inventories/"]
    lines += [f"[{number}] {source}" for source, number in sources.items()]
    lines += ["", *status.attention] if status.attention else ["", "nothing needs attention"]
    return "\n".join(lines)
