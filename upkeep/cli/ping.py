"""``upkeep ping PROJECT... [ENV...]`` (or ``--all``, ``--where``): reach every host over SSH."""

from __future__ import annotations

import argparse

from upkeep.cli.across import Outcome, run_across
from upkeep.cli.output import table
from upkeep.cli.selection import add_selection_arguments, select
from upkeep.exitcodes import ExitCode
from upkeep.inventory import Project
from upkeep.ping import PingResult, ping
from upkeep.workspace import find_workspace


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "ping",
        help="reach every host of a project over SSH (strict host keys) and report",
        description="Connects to each host with pyinfra over SSH, checking its key against the "
        "inventory's known_hosts, and reads a few facts (with sudo). Exit 1 if any host fails.",
    )
    add_selection_arguments(parser, environments=True)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=_ping)


def _ping(args: argparse.Namespace) -> int:
    selection = select(find_workspace(args.root), args)

    def one(project: Project) -> Outcome:
        result = ping(project, selection.environments_of(project))
        errors = tuple(f"{reply.host}: {reply.error}" for reply in result.hosts if not reply.ok)
        if not args.json:
            print(_table(result))
        code = ExitCode.OK if result.ok else ExitCode.FAILED
        return Outcome(project.name, code, result.to_dict(), errors, "; ".join(errors))

    return run_across(args, selection, one, read_only=True)


def _table(result: PingResult) -> str:
    rows = []
    for reply in result.hosts:
        facts = dict(reply.facts)
        said = (
            f"ok ({facts['hostname']}, {facts['kernel']}, sudo as {facts['user']})"
            if reply.ok
            else f"FAILED: {reply.error}"
        )
        rows.append((reply.environment, reply.host, reply.address, said))
    return table(("environment", "host", "address", "result"), rows)
