"""``upkeep ping PROJECT [ENV]``: reach every host of a project over SSH."""

from __future__ import annotations

import argparse

from upkeep.cli.output import print_json, table
from upkeep.exitcodes import ExitCode
from upkeep.inventory import load_project
from upkeep.ping import PingResult, ping
from upkeep.workspace import find_workspace


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "ping",
        help="reach every host of a project over SSH (strict host keys) and report",
        description="Connects to each host with pyinfra over SSH, checking its key against the "
        "inventory's known_hosts, and reads a few facts (with sudo). Exit 1 if any host fails.",
    )
    parser.add_argument("project", help="project name (inventories/PROJECT.yml)")
    parser.add_argument("environment", nargs="?", help="only this environment")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=_ping)


def _ping(args: argparse.Namespace) -> int:
    result = ping(load_project(find_workspace(args.root), args.project), args.environment)
    code = ExitCode.OK if result.ok else ExitCode.FAILED
    if args.json:
        errors = [f"{reply.host}: {reply.error}" for reply in result.hosts if not reply.ok]
        return print_json(args, result.to_dict(), code, errors=errors)
    print(_table(result))
    return code


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
