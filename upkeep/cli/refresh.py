"""``upkeep refresh PROJECT...`` (or --all, --where): make staging a sanitized copy of
production, project by project (``--parallel N``: several at once, one per server)."""

from __future__ import annotations

import argparse
import sys
from functools import partial

from upkeep.cli.across import Outcome, run_across
from upkeep.cli.output import print_error, print_json, table
from upkeep.cli.selection import add_selection_arguments, select
from upkeep.errors import UsageError
from upkeep.exitcodes import ExitCode
from upkeep.inventory import Project
from upkeep.inventory.pins import load_pins
from upkeep.progress import Console
from upkeep.refresh.publish import Published, publish
from upkeep.refresh.workflow import RefreshFailed, RefreshPlan, plan, refresh, restore
from upkeep.workspace import Workspace, find_workspace


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "refresh",
        help="clone production's data, files and code into staging, personal data scrubbed",
        description="Dumps the source database in one consistent snapshot with the read-only "
        "user, streams it compressed through the control machine, where the inventory's "
        "sanitize rules scrub personal data and the source's URLs become the target's (inside "
        "PHP-serialized values too), into the target; syncs the shared files with rsync and "
        "deploys the commit the source runs. The target is backed up first and restored if "
        "anything fails; the source is only ever read.",
        epilog="Exit codes: 0 refreshed; 1 failed (the target restored, or half-refreshed with "
        "the command that restores it) or locked by another run; 2 bad input, a sanitize rule "
        "that does not fit the database, or a target database that is the source's own "
        "(nothing changed).",
    )
    add_selection_arguments(parser, environments=False)
    parser.add_argument(
        "--from",
        dest="source",
        default="production",
        metavar="ENV",
        help="the environment to copy (default: production; only read)",
    )
    parser.add_argument(
        "--to",
        dest="target",
        default="staging",
        metavar="ENV",
        help="the environment to replace (default: staging; never production)",
    )
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--db-only", action="store_true", help="the database only (and the code)")
    only.add_argument("--files-only", action="store_true", help="the shared files only")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="check the rules against the source's tables and show what each table would go "
        "through; change nothing",
    )
    parser.add_argument(
        "--yes", action="store_true", help="do not ask before replacing the target (for CI)"
    )
    parser.add_argument(
        "--force-unlock",
        action="store_true",
        help="remove the target's refresh lock first (when its holder is known to be gone)",
    )
    parser.add_argument(
        "--restore",
        metavar="BACKUP",
        help="instead of refreshing, put the target's database and shared files back from one "
        "of its backups (the directory a failed refresh names; one project)",
    )
    parser.add_argument(
        "--streams",
        type=_streams,
        metavar="N",
        help="copy the database in N streams at once, every one from the same moment of the "
        "source (default: as many as the smaller of the two hosts has cores; 1: one "
        "mariadb-dump)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=_refresh)


def _streams(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of streams (1 or more)")
    return int(text)


def _refresh(args: argparse.Namespace) -> int:
    workspace = find_workspace(args.root)
    selection = select(workspace, args)
    names = ", ".join(project.name for project in selection.projects)
    if args.restore:
        if not selection.single:
            raise UsageError(f"--restore puts back one project's backup; name one, not {names}")
        return _restore(args, workspace, selection.projects[0])
    if not args.dry_run:
        _confirm(args, names)  # once, before any project runs
    run_one = partial(_one, args, workspace)
    return run_across(args, selection, run_one, read_only=args.dry_run)


def _restore(args: argparse.Namespace, workspace: Workspace, project: Project) -> int:
    _confirm(
        args, project.name, f"Put {project.name} {args.target} back as {args.restore} holds it?"
    )
    done = restore(workspace, project, args.target, args.restore, say=Console().say)
    if args.json:
        restored = {"project": project.name, "target": args.target, "restored": done}
        return print_json(args, restored)
    print(done)
    return ExitCode.OK


def _one(args: argparse.Namespace, workspace: Workspace, project: Project) -> Outcome:
    """One project's refresh (or plan, with --dry-run), printed unless --json."""
    console = Console()  # made where the project runs: a child's progress goes to its parent
    options = dict(
        source=args.source, target=args.target, db_only=args.db_only, files_only=args.files_only
    )
    pins = load_pins(workspace, project.name)
    if args.dry_run:
        result = plan(workspace, project, pins, say=console.say, **options)
        if not args.json:
            _print_plan(result)
        return Outcome(project.name, ExitCode.OK, result.to_dict())
    try:
        report = refresh(
            workspace,
            project,
            pins,
            force_unlock=args.force_unlock,
            streams=args.streams,
            say=console.say,
            tick=console.tick,
            **options,
        )
    except RefreshFailed as failed:
        return _finish(args, publish(workspace, failed.report), failed)
    return _finish(args, publish(workspace, report))


def _confirm(args: argparse.Namespace, names: str, question: str | None = None) -> None:
    if args.yes:
        return
    what = f"{names} {args.target}'s " + (
        "database" if args.db_only else "shared files" if args.files_only else "database and files"
    )
    if not sys.stdin.isatty():
        raise UsageError(f"refusing to replace {what} without --yes (no terminal to ask)")
    question = question or f"Replace {what} with {args.source}'s (backed up first)?"
    answer = input(f"{question} [y/N] ")
    if answer.strip().lower() not in ("y", "yes"):
        raise UsageError("refresh not confirmed: nothing changed")


def _finish(
    args: argparse.Namespace, published: Published, failed: RefreshFailed | None = None
) -> Outcome:
    """The run and where its report went; a failure said on stderr too, with its exit code."""
    code = failed.exit_code if failed else ExitCode.OK
    errors = tuple(failed.lines()) if failed else ()
    if not args.json:
        report = published.report
        rows = [(step.name, f"{step.seconds or 0:.1f} s", step.detail) for step in report.steps]
        print(table(("step", "took", "what happened"), rows))
        state = "refreshed" if report.ok else "NOT refreshed"
        where = published.files[1]
        print(f"{report.project} {report.target} {state} from {report.source}; report: {where}")
    if failed:
        print_error(failed)
    return Outcome(published.report.project, code, published.to_dict(), errors, "; ".join(errors))


def _print_plan(result: RefreshPlan) -> None:
    print(
        f"dry run: refresh {result.project} {result.target} from {result.source} (nothing changed)"
    )
    for old, new in result.url_map:
        print(f"URLs: {old} → {new}")
    if result.source_ref:
        print(f"code: {result.source_ref[:10]}, as {result.source} runs")
    if result.tables:
        rows = [(t.table, f"~{t.rows}", f"{t.bytes / 1e6:.1f} MB", t.action) for t in result.tables]
        print(table(("table", "rows", "size", "action"), rows))
        print(
            f"database: ~{result.database_bytes / 1e6:.1f} MB; "
            f"{result.target_free_bytes / 1e6:.0f} MB free on {result.target}"
        )
    for path in result.shared_paths:
        excluded = f" (excluding {', '.join(result.exclude_files)})" if result.exclude_files else ""
        print(f"files: shared/{path}{excluded}")
