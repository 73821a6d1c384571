"""``upkeep lab up | status | down``: the container lab of real hosts."""

from __future__ import annotations

import argparse

from upkeep import lab
from upkeep.cli.output import print_json, progress, table
from upkeep.exitcodes import ExitCode
from upkeep.workspace import find_workspace


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "lab",
        help="a lab of real hosts (containers with systemd and sshd) for the demo and WordPress",
        description="Dev, staging and two production hosts as containers (Docker Engine or "
        "Podman), reached over SSH like VMs, serving two projects: demo and wordpress. "
        "Settings: UPKEEP_LAB_NAME, UPKEEP_LAB_SUBNET, UPKEEP_STATE_DIR.",
    )
    actions = parser.add_subparsers(dest="lab_command", metavar="ACTION", required=True)

    up = actions.add_parser("up", help="build and start the lab (a second run changes nothing)")
    up.add_argument("--json", action="store_true", help="print the result as JSON")
    up.set_defaults(handler=_up)

    status = actions.add_parser("status", help="show the lab's hosts; exit 1 unless all are up")
    status.add_argument("--json", action="store_true", help="print the result as JSON")
    status.set_defaults(handler=_status)

    down = actions.add_parser("down", help="remove the lab's containers, networks and volumes")
    down.add_argument(
        "--purge",
        action="store_true",
        help="also remove the lab's images and its state (keys, secrets, site repositories)",
    )
    down.add_argument("--json", action="store_true", help="print the result as JSON")
    down.set_defaults(handler=_down)


def _up(args: argparse.Namespace) -> int:
    workspace = find_workspace(args.root)
    report = lab.up(lab.LabSpec.from_env(), workspace, say=progress)
    if args.json:
        return print_json(args, report.to_dict())
    if not report.actions:
        print(f"lab {report.name}: already up, nothing to do")
    _print_hosts(report)
    print(f"inventory: {report.inventory}   ({report.seconds:.1f} s)")
    return ExitCode.OK


def _status(args: argparse.Namespace) -> int:
    report = lab.status(lab.LabSpec.from_env())
    code = ExitCode.OK if report.healthy else ExitCode.FAILED
    if args.json:
        return print_json(args, report.to_dict(), code)
    _print_hosts(report)
    return code


def _down(args: argparse.Namespace) -> int:
    report = lab.down(lab.LabSpec.from_env(), purge=args.purge, say=progress)
    if args.json:
        return print_json(args, report.to_dict())
    if not report.actions:
        print(f"lab {report.name}: nothing to remove")
    else:
        print(f"lab {report.name}: removed ({len(report.actions)} items, {report.seconds:.1f} s)")
    return ExitCode.OK


def _print_hosts(report: lab.LabReport) -> None:
    rows = [
        (h.role, h.container, h.address, h.state, h.system, "yes" if h.ssh else "no")
        for h in report.hosts
    ]
    print(table(("role", "container", "address", "state", "systemd", "ssh"), rows))
