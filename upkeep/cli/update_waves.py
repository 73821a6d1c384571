"""``upkeep update minor --all`` (or --where, or several projects): the fleet's update in waves.

The arguments, the plan printed (``--plan`` changes nothing), the run, its
report; the planning and the run are ``upkeep.update.waves`` and
``upkeep.update.fleet``'s.

    >>> parser = argparse.ArgumentParser()
    >>> add_fleet_arguments(parser)
    >>> wanted(parser.parse_args(["--plan"])), wanted(parser.parse_args([]))
    (True, False)
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable, Sequence

from upkeep.cli.output import print_json
from upkeep.errors import UsageError
from upkeep.exitcodes import ExitCode
from upkeep.inventory import Project
from upkeep.inventory.pins import Pins, load_pins
from upkeep.inventory.servers import load_fleet
from upkeep.progress import Console
from upkeep.reports.update import write_fleet
from upkeep.update import fleet, waves
from upkeep.update.fleet_report import FleetReport
from upkeep.update.proposal import check_for_update
from upkeep.update.windows import next_opening, until, windows_of
from upkeep.versions import PhpBuild
from upkeep.workspace import Workspace

Confirm = Callable[[argparse.Namespace, str], None]


def add_fleet_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--plan",
        action="store_true",
        help="print the waves (stage, servers, the sites on each, from → to build); change nothing",
    )
    parser.add_argument(
        "--wave-size",
        type=int,
        metavar="N",
        help="servers per production wave after the canary (default: doubling, 2, 4, 8 ...)",
    )
    parser.add_argument(
        "--max-failed-servers",
        type=int,
        metavar="N",
        help="halt the whole run once N servers have failed (each is rolled back; default 1)",
    )
    parser.add_argument(
        "--no-wait",
        action="store_true",
        help="start each production wave now, not at its projects' maintenance windows",
    )


def wanted(args: argparse.Namespace) -> bool:
    """Whether a flag only a fleet run has was given (then even one project runs as a fleet)."""
    return bool(
        args.plan
        or args.no_wait
        or args.wave_size is not None
        or args.max_failed_servers is not None
    )


def run_fleet(
    workspace: Workspace, projects: Sequence[Project], args: argparse.Namespace, confirm: Confirm
) -> int:
    """Plan the selected projects' servers; print the plan, or run it and report."""
    _refuse_bad_numbers(args)
    if args.shared_host:
        raise UsageError(
            "--shared-host is for one project's update; a fleet update moves every site on a "
            "server together already (drop --shared-host)"
        )
    if not args.plan:
        fleet.refuse_unfinished(projects)  # before reading the offers on the hosts
    console = Console()
    pins = {p.name: load_pins(workspace, p.name) for p in projects}
    sites = waves.sites_of(projects, pins, load_fleet(workspace.inventories))
    offered, security = _offers(projects, pins, console.say)
    plan = waves.plan(sites, offered, args.wave_size)
    windows = _window_lines(plan, projects) if not args.no_wait else []
    if args.plan or plan.empty:
        if args.json:
            return print_json(args, {**plan.to_dict(), "windows": windows, "security": security})
        print("\n".join([*plan.lines(), *windows]))
        return ExitCode.OK
    count = len(plan.servers)
    confirm(args, f"update PHP on {count} server{'s' * (count != 1)} in {len(plan.waves)} waves")
    report = fleet.minor_fleet(
        workspace,
        projects,
        pins,
        plan,
        say=console.say,
        wait=not args.no_wait,
        max_failed=args.max_failed_servers or 1,
        security=security,
    )
    return finish(workspace, args, report)


def finish(workspace: Workspace, args: argparse.Namespace, report: FleetReport) -> int:
    files = write_fleet(report, workspace.reports / "update") if report.run_id else []
    code = ExitCode.OK if report.ok else ExitCode.FAILED
    if args.json:
        data = {**report.to_dict(), "report_files": [str(p) for p in files]}
        return print_json(args, data, code, errors=[report.error] if report.error else [])
    print("\n".join(report.lines()))
    if files:
        print(f"report: {files[1]} (also .json)")
    return int(code)


def _refuse_bad_numbers(args: argparse.Namespace) -> None:
    for flag, value in (
        ("--wave-size", args.wave_size),
        ("--max-failed-servers", args.max_failed_servers),
    ):
        if value is not None and value < 1:
            raise UsageError(f"{flag} {value}: give 1 or more")


def _offers(
    projects: Sequence[Project], pins: dict[str, Pins], say: Callable[[str], None]
) -> tuple[dict[str, str | None], list[str]]:
    """The newest build of each line, read where the oldest production pin of that line is
    (so a newer build than any pin shows), and the security notes it brings."""
    oldest: dict[str, Project] = {}
    for project in projects:
        pinned = pins[project.name].get("production").php_build
        if "production" not in project.environments or pinned is None:
            continue
        line = project.php.line
        held = oldest.get(line)
        if held is None or PhpBuild.parse(pinned) < PhpBuild.parse(
            str(pins[held.name].get("production").php_build)
        ):
            oldest[line] = project
    offered: dict[str, str | None] = {}
    security: list[str] = []
    for line, project in sorted(oldest.items()):
        found = check_for_update(project, pins[project.name], say=say)
        offered[line] = found.proposal.offered if found.proposal.available else None
        security.extend(entry.summary() for entry in found.notes)
    return offered, security


def _window_lines(plan: waves.FleetPlan, projects: Sequence[Project]) -> list[str]:
    """When each production wave would start, as the maintenance windows stand now."""
    by_name = {p.name: p for p in projects}
    now = dt.datetime.now(dt.UTC)
    lines = []
    for wave in plan.waves:
        if wave.stage != waves.PRODUCTION:
            continue
        held = windows_of({name: by_name[name].maintenance for name in wave.projects})
        if not held:
            continue
        opening = next_opening(held, now)
        start = "now (a window is open)" if not opening.waits(now) else until(opening.start)
        lines.append(
            f"{wave.name} waits for the maintenance window of {' and '.join(opening.projects)}: "
            f"starts at {start} at the earliest (--no-wait starts it at once)"
        )
    return lines
