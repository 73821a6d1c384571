"""``upkeep sla report PROJECT --month YYYY-MM``: a month's availability and deadlines."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from upkeep.cli.output import print_json
from upkeep.errors import UsageError
from upkeep.exitcodes import ExitCode
from upkeep.inventory import load_project
from upkeep.monitor.history import History, default_path
from upkeep.sla.availability import percent_text
from upkeep.sla.monthly import current_month, monthly_report, report_path, write
from upkeep.sla.report import FORMATS, human
from upkeep.workspace import find_workspace


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sla = commands.add_parser(
        "sla",
        help="SLA reports: availability from time, allowed and used downtime, deadlines",
        description="The SLA of a project (its inventory's sla: section), from the monitoring "
        "history that `upkeep check` keeps.",
    )
    verbs = sla.add_subparsers(dest="verb", metavar="VERB", required=True)
    report = verbs.add_parser(
        "report",
        help="a month's SLA report for the client (Markdown, HTML with a chart, JSON)",
        description="Availability of production over the month's service hours, computed from "
        "the incidents' times (overlaps once, maintenance windows excused), against the "
        "target; allowed and used downtime; each incident's response and resolution "
        "deadlines on the service calendar, met or missed. A month still running is "
        "measured up to now.",
        epilog="Exit codes: 0 written; 2 bad input (no sla: section, a bad month or path).",
    )
    report.add_argument("project", help="project name (inventories/PROJECT.yml)")
    report.add_argument(
        "--month", metavar="YYYY-MM", help="the month (default: this month, in the SLA's zone)"
    )
    report.add_argument(
        "--format", choices=FORMATS, help="one format (default: all three: md, html and json)"
    )
    report.add_argument(
        "--output",
        metavar="PATH",
        type=Path,
        help="a file (its suffix, or --format, says the format) or a directory "
        "(default: reports/sla/, files PROJECT-YYYY-MM.md/.html/.json)",
    )
    report.add_argument(
        "--history",
        metavar="PATH",
        type=Path,
        help="the monitoring history (default: the one `upkeep check` keeps)",
    )
    report.add_argument("--json", action="store_true", help="print the report as JSON too")
    report.set_defaults(handler=_report)


def _report(args: argparse.Namespace) -> int:
    workspace = find_workspace(args.root)
    project = load_project(workspace, args.project)
    now = dt.datetime.now(dt.UTC)
    month = args.month or current_month(project, now)
    path = args.history or default_path()
    if args.history is not None and not path.exists():
        raise UsageError(f"{path}: no such monitoring history (check the path)")
    if path.exists():
        with History(path) as history:
            report = monthly_report(project, month, history, now)
    else:
        report = monthly_report(project, month, None, now)
    chosen = args.format
    if chosen is None and args.output is not None and args.output.suffix[1:] in FORMATS:
        chosen = args.output.suffix[1:]  # --output report.html: that one file
    formats = [chosen] if chosen else list(FORMATS)
    if args.output is not None and chosen:
        targets = {chosen: args.output}
    else:
        directory = args.output or workspace.reports / "sla"
        if directory.exists() and not directory.is_dir():
            raise UsageError(f"{directory}: not a directory (with --format, --output is a file)")
        targets = {fmt: report_path(directory, project.name, report.month, fmt) for fmt in formats}
    written = write(report, targets)
    if args.json:
        print_json({**report.to_dict(), "report_files": [str(p) for p in written]})
        return int(ExitCode.OK)
    a = report.availability
    so_far = "" if a.complete else " so far"
    print(
        f"{project.name} {report.month}: {percent_text(a.percent)} % available{so_far} "
        f"(target {float(a.target):g} %: {a.verdict}); downtime {human(a.downtime)} of "
        f"{human(a.allowed)} allowed; {len(report.incidents)} incident"
        f"{'s' if len(report.incidents) != 1 else ''}"
    )
    for line in report.incidents:
        i = line.incident
        print(f"  #{i.id} {i.priority} {i.check}: response {line.response.status.value}, "
              f"resolution {line.resolution.status.value}; downtime "
              f"{human(line.downtime) if i.affects_availability else 'not counted'}")  # fmt: skip
    for written_path in written:
        print(f"report: {written_path}")
    return int(ExitCode.OK)
