"""``upkeep estimate``: a scoped estimate for a major PHP upgrade, from the code.

    upkeep estimate PROJECT... | --all | --where K=V --to 8.2 [--json] [--parallel N]
    upkeep estimate --path DIR --from 7.4 --to 8.2 [--json] [--format md|html|json] [--output FILE|DIR]

PROJECT mode writes its reports to ``<repository>/reports/estimate/`` (or
``--output``); over several projects (the one selector grammar) an estimate
each, one summary at the end. ``--path`` mode scans any checkout and writes reports only
where ``--output`` says, never into the current directory unasked; its scan
cache lives in the user's cache directory (``$XDG_CACHE_HOME/upkeep``, else
``~/.cache/upkeep``). ``--json`` prints the JSON report on stdout, as the
``data`` of the envelope every command's ``--json`` prints; the summary and
progress then go to stderr. ``--format``/``--output`` follow the rule every
report follows (upkeep.reports.files).
Exit 0 when the estimate was made, 2 on bad input (nothing written).

The scanner (tree-sitter), the report templates (jinja2) and the inventory
are imported inside the handler, so ``upkeep estimate --help`` and a small
scan start fast.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from upkeep.cli.selection import add_selection_arguments, select
from upkeep.errors import UsageError
from upkeep.estimate.errors import EstimateUsageError
from upkeep.exitcodes import ExitCode
from upkeep.reports.files import FORMATS, names_one_place
from upkeep.workspace import Workspace, find_workspace

if TYPE_CHECKING:
    from upkeep.cli.across import Outcome
    from upkeep.estimate.report import ReportHeader
    from upkeep.estimate.versions import PhpLine
    from upkeep.estimate.workflow import Request
    from upkeep.inventory import Project

FULL_VERSION = re.compile(r"\s*(\d+)\.(\d+)\.\d+\s*")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "estimate",
        help="scoped estimate for a major PHP upgrade, from the site's code",
        description="Scan a project's PHP code and Composer files for what breaks on a "
        "later PHP line, and price the work (low / expected / high hours).",
        epilog="PROJECT mode takes the current line from production's pinned PHP build and "
        "scans production's deployed ref; --path scans any checkout and writes reports only "
        "with --output (its cache goes to $XDG_CACHE_HOME/upkeep, else ~/.cache/upkeep).",
    )
    add_selection_arguments(parser, environments=False)
    parser.add_argument("--path", metavar="DIR", help="scan this checkout instead of a project")
    parser.add_argument(
        "--from",
        dest="from_line",
        metavar="X.Y",
        help="the PHP line the code runs on now (required with --path; 7.4.33 reads as 7.4)",
    )
    parser.add_argument(
        "--to", dest="to_line", metavar="X.Y", required=True, help="the target PHP line"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the JSON report on stdout (the summary goes to stderr)",
    )
    parser.add_argument(
        "--format",
        choices=("md", "html", "json", "all"),
        default="all",
        help="which report to write (default: all three)",
    )
    parser.add_argument(
        "--output",
        metavar="FILE|DIR",
        help="where to write: a directory, a file (one format), or - for stdout",
    )
    parser.add_argument(
        "--jobs", type=int, metavar="N", help="worker processes (default: every core)"
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="rescan every file instead of reusing results"
    )
    parser.set_defaults(handler=run)


def _workspace(args: argparse.Namespace, required: bool) -> Workspace | None:
    try:
        return find_workspace(getattr(args, "root", None))
    except UsageError:
        if required:
            raise
        return None


def parse_line(text: str) -> PhpLine:
    """A PHP line from ``8.2`` or a full version such as ``8.2.1`` (read as its line)."""
    from upkeep.estimate.versions import PhpLine

    full = FULL_VERSION.fullmatch(text)
    return PhpLine.parse(f"{full.group(1)}.{full.group(2)}" if full else text)


def _default_jobs(args: argparse.Namespace) -> int:
    if args.jobs is None:
        return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)
    if args.jobs < 1:
        raise EstimateUsageError(f"--jobs must be at least 1 (got {args.jobs})")
    return int(args.jobs)


def _checkout(path: str) -> Path:
    root = Path(path).expanduser()
    if root.is_dir():
        return root
    if root.exists():
        raise EstimateUsageError(
            f"{path}: not a directory (--path wants the checkout's directory, not one file)"
        )
    raise EstimateUsageError(f"{path}: no such directory")


def _path_request(args: argparse.Namespace) -> tuple[Request, str]:
    """``--path`` mode: any checkout, its line given with ``--from``."""
    from upkeep.estimate.versions import check_upgrade
    from upkeep.estimate.workflow import Request

    if args.projects or args.all or args.where:
        raise EstimateUsageError("give either PROJECT or --path DIR, not both")
    jobs = _default_jobs(args)
    to_line = parse_line(args.to_line)
    if not args.from_line:
        raise EstimateUsageError("--path needs --from X.Y (the PHP line the code runs on now)")
    from_line = parse_line(args.from_line)
    check_upgrade(from_line, to_line)
    root = _checkout(args.path)
    cache = None if args.no_cache else user_cache_dir()
    # the directory's name, not the operator's absolute path, names it in a report
    name = root.resolve().name or "site"
    return Request(root, name, from_line, to_line, jobs=jobs, cache=cache), name


def _check_project_arguments(args: argparse.Namespace) -> None:
    """Bad input in PROJECT mode is refused before any project is fetched."""
    if not (args.projects or args.all or args.where):
        raise EstimateUsageError("give a PROJECT of the inventory or --path DIR to scan")
    _default_jobs(args)
    parse_line(args.to_line)
    if args.from_line:
        parse_line(args.from_line)


def _project_request(args: argparse.Namespace, workspace: Workspace, name: str) -> Request:
    """PROJECT mode: production's deployed ref, its line from production's pinned build."""
    from upkeep.estimate.project import project_source
    from upkeep.estimate.versions import check_upgrade
    from upkeep.estimate.workflow import Request

    to_line = parse_line(args.to_line)
    source = project_source(workspace, name)
    from_line = parse_line(args.from_line) if args.from_line else source.current
    check_upgrade(from_line, to_line)
    cache = None if args.no_cache else workspace.cache / "estimate" / ".scans"
    return Request(
        source.checkout,
        source.label,
        from_line,
        to_line,
        jobs=_default_jobs(args),
        cache=cache,
        project=source.project,
        ref=source.commit,
    )


def user_cache_dir() -> Path:
    """Where ``--path`` scans are cached: the user's cache directory, never the checkout."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "upkeep" / "estimate"


def report_header(request: Request, name: str) -> ReportHeader:
    """What the client's copy says about itself: whose, what, when, made by which upkeep."""
    from upkeep.estimate.report import ReportHeader, today

    title = f"PHP {request.from_line} → {request.to_line} upgrade estimate for {name}"
    return ReportHeader(project=name, title=title, date=today())


def run(args: argparse.Namespace) -> int:
    from upkeep.cli.output import print_json

    if args.path:
        request, name = _path_request(args)
        data, _ = _estimate(args, request, None, name)
        return print_json(args, data) if args.json else int(ExitCode.OK)
    # only here: the fleet's machinery and the inventory cost a path run 0.2 s to import
    from upkeep.cli.across import Outcome, run_across

    _check_project_arguments(args)
    workspace = _workspace(args, required=True)
    assert workspace is not None
    selection = select(workspace, args)
    chosen = None if args.format == "all" else args.format
    if not selection.single and names_one_place(FORMATS, chosen, args.output):
        raise EstimateUsageError(
            f"--output {args.output} holds one project's reports; give a directory for several"
        )

    def one(project: Project) -> Outcome:
        request = _project_request(args, workspace, project.name)
        data, _ = _estimate(args, request, workspace, project.name)
        return Outcome(project.name, ExitCode.OK, data)

    return run_across(args, selection, one, read_only=True)  # reads a checkout, no server


def estimate_project(
    workspace: Workspace, name: str, to_line: str
) -> tuple[dict[str, Any], list[Path]]:
    """PROJECT mode for another command (``upkeep propose``): production's code to ``to_line``,
    every report in reports/estimate/; the JSON report's data and the files written."""
    args = argparse.Namespace(
        to_line=to_line, from_line=None, jobs=None, no_cache=False, format="all", output=None
    )
    args.json = False  # reports in files, the summary on stdout
    return _estimate(args, _project_request(args, workspace, name), workspace, name)


def _estimate(
    args: argparse.Namespace, request: Request, workspace: Workspace | None, name: str
) -> tuple[dict[str, Any], list[Path]]:
    """Scan, write the reports ``args`` ask for, print the summary; the JSON report's data
    and the files written."""
    from upkeep.cli.output import progress
    from upkeep.estimate.pool import collector_paused
    from upkeep.estimate.workflow import run_estimate
    from upkeep.reports import estimate as estimate_report
    from upkeep.reports.files import destinations, write_reports

    stem = f"{name}-php{request.from_line}-to-{request.to_line}"
    wanted = destinations(
        FORMATS,
        None if args.format == "all" else args.format,
        args.output,
        workspace.reports / "estimate" if workspace is not None else None,
        stem,
        json_asked=args.json,
    )
    progress(f"estimate: scanning {name} for PHP {request.from_line} → {request.to_line}")
    with collector_paused():  # the run, its reports and its data: every file's results held
        estimate = run_estimate(request)
        header = report_header(request, name)

        def render(fmt: str, stream: TextIO) -> None:
            estimate_report.render(estimate, header, fmt, stream)

        written = write_reports(wanted, render, sys.stdout)
        data = estimate_report.to_data(estimate, header)
    aside = args.json or any(destination.to_stdout for destination in wanted)
    stream = sys.stderr if aside else sys.stdout
    print(estimate_report.render_summary(estimate), file=stream)
    for path in written:
        print(f"  report: {path}", file=stream)
    if not wanted and not args.json:
        print(
            "  no report written: give --output DIR (Markdown, HTML, JSON) or --json", file=stream
        )
    return data, written
