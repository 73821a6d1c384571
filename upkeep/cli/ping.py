"""``upkeep ping PROJECT [ENV]``: reach every host of a project over SSH."""

from __future__ import annotations

import argparse
import time

from pyinfra.facts.server import Hostname, Kernel, User

from upkeep.cli.output import print_json, table
from upkeep.exitcodes import ExitCode
from upkeep.inventory import Project, load_project
from upkeep.runner import Runner, Target
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


def targets_of(project: Project, environment: str | None) -> list[Target]:
    """The runner targets of a project, optionally one environment's only."""
    envs = (
        [project.environment(environment)] if environment else list(project.environments.values())
    )
    return [Target(str(env.name), host) for env in envs for host in env.hosts]


def _ping(args: argparse.Namespace) -> int:
    project = load_project(find_workspace(args.root), args.project)
    targets = targets_of(project, args.environment)
    started = time.monotonic()
    with Runner(targets, require_all=False) as runner:
        reached = {t.name for t in targets} - {u.host for u in runner.unreachable}
        facts = (
            {
                name: runner.facts(fact)
                for name, fact in (("hostname", Hostname), ("kernel", Kernel), ("user", User))
            }
            if reached
            else {}
        )
    seconds = time.monotonic() - started
    rows = []
    for target in targets:
        failure = next((u.reason for u in runner.unreachable if u.host == target.name), None)
        rows.append(
            {
                "environment": target.environment,
                "host": target.name,
                "address": f"{target.host.address}:{target.host.port}",
                "ok": failure is None,
                **(
                    {"error": failure}
                    if failure
                    else {k: v.get(target.name) for k, v in facts.items()}
                ),
            }
        )
    if args.json:
        print_json({"project": project.name, "seconds": round(seconds, 2), "hosts": rows})
    else:
        print(
            table(
                ("environment", "host", "address", "result"),
                [
                    (
                        r["environment"],
                        r["host"],
                        r["address"],
                        f"ok ({r['hostname']}, {r['kernel']}, sudo as {r['user']})"
                        if r["ok"]
                        else f"FAILED: {r['error']}",
                    )
                    for r in rows
                ],
            )
        )
    return ExitCode.OK if all(r["ok"] for r in rows) else ExitCode.FAILED
