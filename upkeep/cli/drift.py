"""``upkeep drift PROJECT... | --all | --where KEY=VALUE``: how environments differ from their desired state and each other."""

from __future__ import annotations

import argparse

from upkeep.cli.across import Outcome, run_across
from upkeep.cli.output import progress, table
from upkeep.cli.selection import add_selection_arguments, select
from upkeep.drift.compare import DriftReport
from upkeep.drift.workflow import drift
from upkeep.exitcodes import ExitCode
from upkeep.inventory import Project
from upkeep.inventory.pins import load_pins
from upkeep.workspace import find_workspace


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "drift",
        help="compare environments with their desired state and with production",
        description="Reads facts over SSH (packages, checksums of rendered config, effective "
        "php.ini, deployed release) and compares them with what provision would make, and each "
        "environment with production. Domains, TLS and credentials are meant to differ and are "
        "not drift. A developer environment of the project on this machine (`upkeep dev up`) "
        "is compared too, as `local`. Exit 0 in sync, 1 drift, 2 error (e.g. a host "
        "unreachable).",
    )
    add_selection_arguments(parser, environments=False)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.set_defaults(handler=_drift)


def _drift(args: argparse.Namespace) -> int:
    workspace = find_workspace(args.root)

    def one(project: Project) -> Outcome:
        report = drift(project, load_pins(workspace, project.name), say=progress)
        if report.unreachable:
            code, why = ExitCode.USAGE, f"unreachable: {'; '.join(report.unreachable)}"
        elif report.in_sync:
            code, why = ExitCode.OK, ""
        else:
            code, why = ExitCode.FAILED, f"{len(report.items)} differences"
        if not args.json:
            _print(report)
        return Outcome(project.name, code, report.to_dict(), tuple(report.unreachable), why)

    return run_across(args, select(workspace, args), one, read_only=True)


def _print(report: DriftReport) -> None:
    envs = [env for env in report.environments if any(env in row for row in report.matrix.values())]
    rows = [
        (aspect, *(values.get(env, "-") for env in envs))
        for aspect, values in report.matrix.items()
    ]
    print(table(("", *envs), rows))
    print()
    if report.unreachable:
        for line in report.unreachable:
            print(f"unreachable: {line}")
    for line in report.skipped:
        print(f"not compared: {line}")
    if report.in_sync:
        print(f"{report.project}: in sync")
        return
    print(f"{report.project}: {len(report.items)} differences")
    print(
        table(
            ("environment", "host", "what", "expected", "actual"),
            [(i.environment, i.host, i.aspect, i.expected, i.actual) for i in report.items],
        )
    )
