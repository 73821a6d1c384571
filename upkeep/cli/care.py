"""``upkeep care report PROJECT... [--month YYYY-MM] [--lang pl|en]`` (or --all, --where):
the monthly care report for each client, in their language."""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from upkeep.care.monthly import care_report, file_stem
from upkeep.care.report import LANGUAGES, CareReport
from upkeep.cli.across import Outcome, run_across
from upkeep.cli.check import history_option
from upkeep.cli.selection import add_selection_arguments, select_for_reports
from upkeep.errors import UsageError
from upkeep.exitcodes import ExitCode
from upkeep.inventory import Project
from upkeep.reports.care import FORMATS, render, render_pdf
from upkeep.reports.files import STDOUT, destinations, write_atomically
from upkeep.sla.availability import percent_text
from upkeep.workspace import find_workspace


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    care = commands.add_parser(
        "care",
        help="care reports: what each client's plan delivered in a month",
        description="The client's side of upkeep: their care plan (the inventory's care: "
        "section) and what it delivered.",
    )
    verbs = care.add_subparsers(dest="verb", metavar="VERB", required=True)
    report = verbs.add_parser(
        "report",
        help="the monthly care report (Markdown, HTML, PDF, JSON) in the client's language",
        description="One document per client and month: the plan and its parts, availability "
        "against the SLA target with the year to date (the SLA report's figures), incidents "
        "against their deadlines, updates applied with their security fixes, refreshes, drift "
        "checks, certificates and what is coming (pending builds, newer PHP lines, the "
        "warranty's end), with charts. From what upkeep recorded; no host is reached.",
        epilog="Exit codes: 0 written; 2 bad input (a bad month, language or path).",
    )
    add_selection_arguments(report, environments=False)
    report.add_argument(
        "--month",
        metavar="YYYY-MM",
        help="the month (default: the last complete month, in the project's zone)",
    )
    report.add_argument(
        "--lang",
        choices=LANGUAGES,
        help="the report's language (default: the client's, care.client.language)",
    )
    report.add_argument(
        "--format", choices=FORMATS, help="one format (default: all four: md, html, pdf, json)"
    )
    report.add_argument(
        "--output",
        metavar="PATH",
        help="a file (its suffix, or --format, says the format), a directory (default: "
        "reports/care/, files PROJECT-YYYY-MM-LANG.md/.html/.pdf/.json), or - for stdout "
        "(with --format, not pdf); for several projects a directory",
    )
    history_option(report)
    report.add_argument("--json", action="store_true", help="print the report as JSON too")
    report.set_defaults(handler=_report)


def _report(args: argparse.Namespace) -> int:
    if args.output == STDOUT and args.format == "pdf":  # refused before any reading
        raise UsageError("--output - prints text; a PDF goes to a file (give --output PATH)")
    workspace = find_workspace(args.root)
    selection = select_for_reports(workspace, args, FORMATS)

    def one(project: Project) -> Outcome:
        now = dt.datetime.now(dt.UTC)
        report = care_report(workspace, project, args.month, args.lang, args.history, now)
        stem = file_stem(project.name, report.month, report.language)
        wanted = destinations(
            FORMATS,
            args.format,
            args.output,
            workspace.reports / "care",
            stem,
            json_asked=args.json,
        )
        written = []
        for destination in wanted:
            if destination.path is None:
                sys.stdout.write(render(report, destination.format))
            else:
                written.append(
                    write_atomically(destination.path, _content(report, destination.format))
                )
        data = {**report.to_dict(), "report_files": [str(p) for p in written]}
        if not args.json:
            aside = any(destination.to_stdout for destination in wanted)
            stream = sys.stderr if aside else sys.stdout
            print(_summary(report), file=stream)
            for path in written:
                print(f"report: {path}", file=stream)
        return Outcome(project.name, ExitCode.OK, data)

    return run_across(args, selection, one, read_only=True)  # records only, no server


def _content(report: CareReport, fmt: str) -> str | bytes:
    return render_pdf(report) if fmt == "pdf" else render(report, fmt)


def _summary(report: CareReport) -> str:
    """The month in a line: availability, incidents, updates, refreshes."""
    sla = report.sla
    if sla is None:
        available = "no SLA"
    else:
        a = sla.availability
        percent = "not observed" if a.percent is None else f"{percent_text(a.percent)} %"
        available = f"{percent} available (target {float(a.target):g} %: {a.verdict})"
    incidents = len(sla.incidents) if sla else 0
    return (
        f"{report.project} {report.month} ({report.language}): {available}; "
        f"{incidents} incidents, {len(report.updates)} updates, {len(report.refreshes)} refreshes"
    )
