"""``upkeep inventory check|show``: validate inventories, show a resolved project.

$ upkeep inventory check
ok: 1 inventories
$ upkeep inventory show demo --json
$ upkeep inventory show --servers
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from upkeep.cli.across import Outcome, run_across
from upkeep.cli.output import print_json, table
from upkeep.cli.selection import add_selection_arguments, select
from upkeep.errors import UsageError
from upkeep.exitcodes import ExitCode
from upkeep.inventory import Project, check_files, load_all, load_file, pins
from upkeep.inventory.files import display
from upkeep.inventory.fleetview import by_server, table_rows
from upkeep.inventory.loader import named_like_inventories
from upkeep.inventory.pins import load_pins
from upkeep.inventory.view import as_dict
from upkeep.workspace import find_workspace


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "inventory",
        help="check inventory files, show a resolved project",
        description="Inventories live in inventories/<project>.yml; pins beside them in "
        "<project>.pins.yml (written by upkeep); servers, declared once, in "
        "inventories/servers.yml.",
    )
    sub = parser.add_subparsers(dest="inventory_command", metavar="SUBCOMMAND")
    sub.required = True

    check = sub.add_parser(
        "check",
        help="validate inventories (the whole fleet by default)",
        description="Reports every problem as FILE:LINE: key.path: what is wrong (what to do), "
        "in each file and across projects (one server, one PHP build; one domain, one site; "
        "each server declared once). Exit 0 when all are good, 2 otherwise.",
    )
    check.add_argument("files", nargs="*", type=Path, metavar="FILE", help="inventory files")
    check.add_argument("--json", action="store_true", help="print the result as JSON")
    check.set_defaults(handler=_check)

    show = sub.add_parser(
        "show",
        help="print a project as upkeep understands it, pins included; or the servers",
        description="Secrets are shown as set or missing, never their value. With --servers, "
        "which sites (project/environment) live on which server, with its labels.",
    )
    add_selection_arguments(show, environments=False)
    show.add_argument(
        "--servers", action="store_true", help="show the servers and the sites on each instead"
    )
    show.add_argument("--json", action="store_true", help="print it as JSON")
    show.set_defaults(handler=_show)


def _check(args: argparse.Namespace) -> int:
    files = list(args.files) or named_like_inventories(find_workspace(args.root))
    problems = check_files(files)
    code = ExitCode.USAGE if problems else ExitCode.OK
    if args.json:
        data = {"ok": not problems, "files": [display(f) for f in files], "problems": problems}
        return print_json(args, data, code, errors=problems)
    if problems:
        for line in problems:
            print(f"upkeep: {line}", file=sys.stderr)
    else:
        for note in _sharing_notes(files):
            print(f"note: {note}")
        print(f"ok: {len(files)} inventories")
    return int(code)


def _sharing_notes(files: list[Path]) -> list[str]:
    """What environments on one host share (their PHP build), for valid inventories."""
    notes: list[str] = []
    for path in files:
        if not pins.is_pins_file(path):
            notes += load_file(path).shared_builds()
    return notes


def _show(args: argparse.Namespace) -> int:
    if args.servers:
        return _show_servers(args)
    if not (args.projects or args.all or args.where):
        raise UsageError("inventory show: give a project, or --servers")
    workspace = find_workspace(args.root)

    def one(project: Project) -> Outcome:
        view = as_dict(project, load_pins(workspace, project.name))
        if not args.json:
            print("\n".join(render_text(view)))
        return Outcome(project.name, ExitCode.OK, view)

    return run_across(args, select(workspace, args), one, read_only=True)


def _show_servers(args: argparse.Namespace) -> int:
    if args.projects or args.all or args.where:
        raise UsageError("inventory show: give a project or --servers, not both")
    fleet, projects = load_all(find_workspace(args.root))
    servers = by_server(fleet, projects)
    if args.json:
        return print_json(args, {"servers": [server.as_dict() for server in servers]})
    if servers:
        print(table(("SERVER", "ADDRESS", "LABELS", "SITES"), table_rows(servers)))
    else:
        print("no servers yet (declare them in inventories/servers.yml)")
    return int(ExitCode.OK)


def render_text(value: Any, indent: int = 0) -> list[str]:
    """Nested data as indented ``key: value`` lines; lists of names on one line.

    >>> render_text({"php": {"line": "8.2", "extensions": ["cli", "fpm"]}})
    ['php:', '  line: 8.2', '  extensions: cli, fpm']
    """
    pad = "  " * indent
    lines: list[str] = []
    for key, item in value.items():
        if isinstance(item, dict):
            lines.append(f"{pad}{key}:" + ("" if item else " {}"))
            lines.extend(render_text(item, indent + 1))
        elif isinstance(item, list) and any(isinstance(x, dict) for x in item):
            lines.append(f"{pad}{key}:")
            for entry in item:
                body = render_text(entry, indent + 2)
                lines.append(f"{pad}  - {body[0].lstrip()}")
                lines.extend(body[1:])
        elif isinstance(item, list) and any(" " in str(x) for x in item):
            lines.append(f"{pad}{key}:")
            lines.extend(f"{pad}  - {x}" for x in item)
        elif isinstance(item, list):
            lines.append(f"{pad}{key}: {', '.join(map(str, item)) or '(none)'}")
        else:
            lines.append(f"{pad}{key}: {_scalar(item)}")
    return lines


def _scalar(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
