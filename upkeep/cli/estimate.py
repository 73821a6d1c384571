"""``upkeep estimate``: a scoped estimate for a major PHP upgrade, from the code.

    upkeep estimate PROJECT --to 8.2
    upkeep estimate --path DIR --from 7.4 --to 8.2 [--format md|html|json] [--output FILE|DIR]

Reports go to ``<repository>/reports/estimate/`` (or ``--output``); a short
summary goes to stdout. Exit 0 when the reports were written, 2 on bad input.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from upkeep.errors import UsageError
from upkeep.estimate.errors import EstimateUsageError
from upkeep.estimate.model import Estimate
from upkeep.estimate.pool import default_jobs
from upkeep.estimate.report import RENDERERS, render_summary
from upkeep.estimate.versions import PhpLine, check_upgrade
from upkeep.estimate.workflow import Request, run_estimate
from upkeep.exitcodes import ExitCode
from upkeep.workspace import Workspace, find_workspace

SUFFIX = {"md": ".md", "html": ".html", "json": ".json"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "estimate",
        help="scoped estimate for a major PHP upgrade, from the site's code",
        description="Scan a project's PHP code and Composer files for what breaks on a "
        "later PHP line, and price the work (low / expected / high hours).",
        epilog="PROJECT mode takes the current line from production's pinned PHP build and "
        "scans production's deployed ref; --path scans any checkout.",
    )
    parser.add_argument("project", nargs="?", metavar="PROJECT", help="a project of the inventory")
    parser.add_argument("--path", metavar="DIR", help="scan this checkout instead of a project")
    parser.add_argument(
        "--from",
        dest="from_line",
        metavar="X.Y",
        help="the PHP line the code runs on now (required with --path)",
    )
    parser.add_argument(
        "--to", dest="to_line", metavar="X.Y", required=True, help="the target PHP line"
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


def _request(args: argparse.Namespace) -> tuple[Request, Workspace | None, str]:
    if args.project and args.path:
        raise EstimateUsageError("give either PROJECT or --path DIR, not both")
    if not args.project and not args.path:
        raise EstimateUsageError("give a PROJECT of the inventory or --path DIR to scan")
    jobs = default_jobs() if args.jobs is None else args.jobs
    if jobs < 1:
        raise EstimateUsageError(f"--jobs must be at least 1 (got {args.jobs})")
    to_line = PhpLine.parse(args.to_line)
    if args.path:
        if not args.from_line:
            raise EstimateUsageError("--path needs --from X.Y (the PHP line the code runs on now)")
        from_line = PhpLine.parse(args.from_line)
        check_upgrade(from_line, to_line)
        root = Path(args.path).expanduser()
        if not root.is_dir():
            raise EstimateUsageError(f"{args.path}: no such directory")
        workspace = _workspace(args, required=False)
        cache = None if args.no_cache else _cache_dir(workspace)
        name = root.resolve().name or "site"
        request = Request(root, args.path, from_line, to_line, jobs=jobs, cache=cache)
        return request, workspace, name
    from upkeep.estimate.project import project_source

    workspace = _workspace(args, required=True)
    assert workspace is not None
    if args.from_line:
        PhpLine.parse(args.from_line)  # bad input is reported before any fetching
    source = project_source(workspace, args.project)
    from_line = PhpLine.parse(args.from_line) if args.from_line else source.current
    check_upgrade(from_line, to_line)
    cache = None if args.no_cache else _cache_dir(workspace)
    request = Request(
        source.checkout,
        source.label,
        from_line,
        to_line,
        jobs=jobs,
        cache=cache,
        project=source.project,
        ref=source.commit,
    )
    return request, workspace, args.project


def _cache_dir(workspace: Workspace | None) -> Path:
    if workspace is not None:
        return workspace.cache / "estimate" / ".scans"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "upkeep" / "estimate"


def _targets(args: argparse.Namespace, workspace: Workspace | None, stem: str) -> dict[str, str]:
    """Format → where to write it ("-" is stdout)."""
    formats = ["md", "html", "json"] if args.format == "all" else [args.format]
    output = args.output
    if output == "-":
        if len(formats) > 1:
            raise EstimateUsageError("--output - (stdout) takes one --format (md, html or json)")
        return {formats[0]: "-"}
    if (
        output is not None
        and len(formats) == 1
        and not Path(output).is_dir()
        and not output.endswith("/")
    ):
        return {formats[0]: output}
    if output is not None:
        directory = Path(output)
    elif workspace is not None:
        directory = workspace.reports / "estimate"
    else:
        directory = Path("reports") / "estimate"
    return {fmt: str(directory / f"{stem}{SUFFIX[fmt]}") for fmt in formats}


def _write(estimate: Estimate, targets: dict[str, str]) -> list[str]:
    written = []
    for fmt, target in targets.items():
        text = RENDERERS[fmt](estimate)
        if target == "-":
            sys.stdout.write(text)
            continue
        path = Path(target)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as error:
            raise EstimateUsageError(
                f"{target}: cannot write the report ({error.strerror})"
            ) from None
        written.append(target)
    return written


def run(args: argparse.Namespace) -> int:
    request, workspace, name = _request(args)
    stem = f"{name}-php{request.from_line}-to-{request.to_line}"
    targets = _targets(args, workspace, stem)
    estimate = run_estimate(request)
    written = _write(estimate, targets)
    summary = render_summary(estimate)
    stream = sys.stderr if "-" in targets.values() else sys.stdout
    print(summary, file=stream)
    for target in written:
        print(f"  report: {target}", file=stream)
    return int(ExitCode.OK)
