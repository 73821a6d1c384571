"""``upkeep sla report PROJECT... --month YYYY-MM`` (or --year YYYY; --all, --where): a
month's or a year's availability and deadlines, a report per project."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import TextIO

from upkeep.cli.across import Outcome, run_across
from upkeep.cli.selection import add_selection_arguments, select_for_reports
from upkeep.errors import UsageError
from upkeep.exitcodes import ExitCode
from upkeep.inventory import Project
from upkeep.reports.files import FORMATS, destinations, write_reports
from upkeep.reports.sla import human, render
from upkeep.sla.availability import percent_text
from upkeep.sla.monthly import file_stem, report_from_history
from upkeep.sla.report import SlaReport
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
        help="a month's (or a year's) SLA report for the client (Markdown, HTML, JSON)",
        description="Availability of production over the month's service hours, computed from "
        "the incidents' times (overlaps once, maintenance windows excused), against the "
        "target; allowed and used downtime; each incident's response and resolution "
        "deadlines on the service calendar, met or missed. A month still running is "
        "measured up to now; a month's report gives the year to date too. --year judges a "
        "whole year and each of its months (contracts state downtime as hours a year).",
        epilog="Exit codes: 0 written; 2 bad input (no sla: section, a bad month, year or path).",
    )
    add_selection_arguments(report, environments=False)
    period = report.add_mutually_exclusive_group()
    period.add_argument(
        "--month", metavar="YYYY-MM", help="the month (default: this month, in the SLA's zone)"
    )
    period.add_argument(
        "--year",
        metavar="YYYY",
        help="a whole year instead, month by month (a running one: so far)",
    )
    report.add_argument(
        "--format", choices=FORMATS, help="one format (default: all three: md, html and json)"
    )
    report.add_argument(
        "--output",
        metavar="PATH",
        help="a file (its suffix, or --format, says the format), a directory "
        "(default: reports/sla/, files PROJECT-YYYY-MM.md/.html/.json, or PROJECT-YYYY.*), or - for stdout "
        "(with --format; the summary then goes to stderr); for several projects a directory",
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
    selection = select_for_reports(workspace, args, FORMATS)

    def one(project: Project) -> Outcome:
        period = _period(args.month, args.year)
        report = report_from_history(project, period, args.history, dt.datetime.now(dt.UTC))
        stem = file_stem(project.name, report.period)
        wanted = destinations(
            FORMATS, args.format, args.output, workspace.reports / "sla", stem, json_asked=args.json
        )
        written = write_reports(wanted, lambda fmt, out: out.write(render(report, fmt)), sys.stdout)
        data = {**report.to_dict(), "report_files": [str(p) for p in written]}
        if not args.json:
            aside = any(destination.to_stdout for destination in wanted)  # a report is there
            _print_summary(project.name, report, sys.stderr if aside else sys.stdout)
            for written_path in written:
                print(f"report: {written_path}")
        return Outcome(project.name, ExitCode.OK, data)

    return run_across(args, selection, one, read_only=True)  # the history here, no server


def _period(month: str | None, year: str | None) -> str | None:
    """The period asked for (None: this month). Past here ``YYYY`` means a year, so each
    option is held to its own form."""
    if year is not None:
        if len(year.strip()) != 4 or not year.strip().isdigit():
            raise UsageError(f"--year {year!r} is not a year such as 2026 (YYYY)")
        return year.strip()
    if month is not None and month.strip().isdigit():
        raise UsageError(f"--month {month!r} is not a month such as 2026-11 (for a year: --year)")
    return month


def _print_summary(name: str, report: SlaReport, stream: TextIO) -> None:
    """The month in a line, then a line per incident."""
    a = report.availability
    so_far = "" if a.complete else " so far"
    available = (  # a month nobody watched has no availability to state
        f"{percent_text(a.percent)} % available{so_far}"
        if a.percent is not None
        else f"no service time observed{so_far}"
    )
    print(
        f"{name} {report.period}: {available} "
        f"(target {float(a.target):g} %: {a.verdict}); downtime {human(a.downtime)} of "
        f"{human(a.allowed)} allowed; {len(report.incidents)} incident"
        f"{'s' if len(report.incidents) != 1 else ''}",
        file=stream,
    )
    for line in report.incidents:
        i = line.incident
        print(
            f"  #{i.id} {i.priority} {i.check}: response {line.response.status.value}, "
            f"resolution {line.resolution.status.value}; downtime "
            f"{human(line.downtime) if i.affects_availability else 'not counted'}",
            file=stream,
        )
