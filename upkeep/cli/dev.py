"""``upkeep dev up | status | shell | down``: developer environments on this machine.

``dev up`` takes the selector grammar (one environment per project, several
at once with --parallel). ``status`` takes one project or none (all here);
``shell`` is one interactive session; ``down`` takes one name, which works
for a project whose inventory is gone (its container outlives the YAML),
where the selector grammar would refuse an unknown project.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from upkeep.cli.across import Outcome, run_across
from upkeep.cli.output import print_json, table
from upkeep.cli.selection import add_selection_arguments, select
from upkeep.dev import workflow
from upkeep.dev.environment import LOCAL
from upkeep.errors import UsageError
from upkeep.exitcodes import ExitCode
from upkeep.inventory import Project
from upkeep.inventory.pins import load_pins
from upkeep.progress import Console
from upkeep.ssh import SSH_FAILED
from upkeep.workspace import find_workspace


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "dev",
        help="a developer environment on this machine, shaped like production",
        description="A container on this machine (Docker Engine or Podman) provisioned with "
        "the same deploys as production at production's pins, the working copy mounted as the "
        "current release (edits show on the next request), its database a sanitized copy of "
        "production's, mail captured, reachable on a localhost port.",
        epilog="Exit codes: 0 done; 1 the job failed; 2 bad input (nothing changed).",
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=type(parser))
    verbs.required = True

    up = verbs.add_parser(
        "up",
        help="make (or find) the project's developer environment and print its URL",
        description="Creates the container if needed, provisions it at production's pins "
        "(a second run changes nothing), seeds its database once from production through "
        "the refresh's sanitizer with URLs rewritten to the local address, and prints the URL.",
    )
    add_selection_arguments(up, environments=False)
    up.add_argument(
        "--path",
        metavar="WORKING_COPY",
        help="your working copy to serve (one project; default: the one already in use, "
        "else a checkout "
        "of the project's repository at production's commit that upkeep makes once, under "
        "~/.local/state/upkeep/checkouts/PROJECT, and says where)",
    )
    up.add_argument("--json", action="store_true", help="print the result as JSON")
    up.set_defaults(handler=_up)

    status = verbs.add_parser(
        "status", help="the developer environments here: URL, PHP build vs production, mail"
    )
    status.add_argument("project", nargs="?", help="only this project")
    status.add_argument("--json", action="store_true", help="print the result as JSON")
    status.set_defaults(handler=_status)

    shell = verbs.add_parser(
        "shell",
        help="a shell in the container at the working copy, as the site's user",
        description="ssh into the developer environment (upkeep's key, checked host key) as "
        "the site's user, in the working copy, with the application's settings in the "
        "environment. With a COMMAND after --, runs it and exits with its code.",
    )
    shell.add_argument("project", help="project name")
    shell.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARG...]")
    shell.set_defaults(handler=_shell)

    down = verbs.add_parser(
        "down",
        help="remove the developer environment: container and state (never the working copy)",
    )
    down.add_argument("project", help="project name")
    down.add_argument("--json", action="store_true", help="print the result as JSON")
    down.set_defaults(handler=_down)


def _up(args: argparse.Namespace) -> int:
    workspace = find_workspace(args.root)
    selection = select(workspace, args)
    if args.path and not selection.single:
        names = ", ".join(project.name for project in selection.projects)
        raise UsageError(f"--path is one project's working copy; name one, not {names}")

    def one(project: Project) -> Outcome:
        console = Console()  # made where the project runs: a child's progress goes to its parent
        pins = load_pins(workspace, project.name)
        result = workflow.up(
            workspace, project, pins, args.path, say=console.say, tick=console.tick
        )
        if not args.json:
            _print_up(result)
        return Outcome(project.name, ExitCode.OK, result.to_dict())

    return run_across(args, selection, one)


def _print_up(result: workflow.DevUpResult) -> None:
    print(f"{result.project} {LOCAL}: {result.url}")
    print(
        f"  PHP {result.php_served} (production's pin {result.php_build}); "
        f"working copy {result.working_copy}"
    )
    if result.seed is not None:
        seed = result.seed
        print(
            f"  database: production's, sanitized: {seed.rows} rows, {seed.values_sanitized} "
            f"values sanitized, {seed.urls_rewritten} URLs rewritten, truncated: "
            f"{', '.join(seed.truncated) or 'none'}; none of {seed.addresses_checked} "
            "addresses is production's"
        )
    else:
        print(f"  database: seeded {result.seeded_at}, kept")
    print(f"  mail is captured, never sent; shell: upkeep dev shell {result.project}")
    if result.changed_nothing:
        print("  nothing changed")
    else:
        print(f"  {result.changed} operations changed something ({result.seconds:.0f} s)")
        for name in result.changed_operations:
            print(f"    {name}")


def _status(args: argparse.Namespace) -> int:
    found = workflow.status(find_workspace(args.root), args.project)
    if args.json:
        return print_json(args, [entry.to_dict() for entry in found])
    if not found:
        print("no developer environments on this machine (upkeep dev up PROJECT)")
        return ExitCode.OK
    rows = [
        (
            entry.project,
            entry.state,
            entry.url or "-",
            _php(entry),
            "-" if entry.mails is None else entry.mails,
            entry.working_copy or "-",
        )
        for entry in found
    ]
    print(
        table(("project", "state", "url", "php (production's pin)", "mails", "working copy"), rows)
    )
    return ExitCode.OK


def _php(entry: workflow.DevStatus) -> str:
    have, pin = entry.php_build or "?", entry.production_pin or "?"
    if entry.php_matches:
        return have
    return f"{have} (pin {pin})" if entry.php_matches is None else f"{have} (≠ {pin})"


def _shell(args: argparse.Namespace) -> int:
    command = list(args.command)
    if command[:1] == ["--"]:
        command = command[1:]
    argv = workflow.shell_argv(
        find_workspace(args.root), args.project, command, tty=sys.stdin.isatty()
    )
    code = subprocess.run(argv, check=False).returncode
    if code == SSH_FAILED:
        print(
            f"upkeep: cannot reach {args.project}'s developer environment over SSH; "
            f"is it up? (upkeep dev status {args.project})",
            file=sys.stderr,
        )
    return code


def _down(args: argparse.Namespace) -> int:
    console = Console()
    result = workflow.down(find_workspace(args.root), args.project, say=console.say)
    if args.json:
        return print_json(args, result.to_dict())
    if result.removed:
        print(
            f"{result.project} {LOCAL}: removed ({len(result.removed)} things); "
            "the working copy is untouched"
        )
    else:
        print(f"{result.project} {LOCAL}: nothing to remove")
    return ExitCode.OK
