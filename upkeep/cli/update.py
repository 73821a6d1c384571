"""``upkeep update minor|status|resume|abort PROJECT``: the minor PHP update, staging first."""

from __future__ import annotations

import argparse
import sys

from upkeep.cli.across import Outcome, run_across
from upkeep.cli.output import notice, print_json, table
from upkeep.cli.selection import add_selection_arguments, select
from upkeep.cli.update_waves import add_fleet_arguments, finish, run_fleet, wanted
from upkeep.errors import UsageError
from upkeep.exitcodes import ExitCode
from upkeep.inventory import Project, load_project
from upkeep.inventory.loader import load_all
from upkeep.inventory.pins import Pins, load_pins
from upkeep.locks import Liveness, LockStatus
from upkeep.pipeline import JournalStore, RunState
from upkeep.progress import Console
from upkeep.update import fleet, waves, workflow
from upkeep.update import runs as update_runs
from upkeep.update.proposal import UpdateCheck, check_for_update
from upkeep.update.publish import Published, publish
from upkeep.update.runs import from_build, to_build
from upkeep.workspace import Workspace, find_workspace

UPDATE_AVAILABLE = 100  # `--check` found an update (as `dnf check-update` says it)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    update = commands.add_parser(
        "update",
        help="move PHP to a newer build on the same line: staging first, then production",
        description="Minor PHP updates (8.2.32 → 8.2.36): tried on a fresh copy of production "
        "in staging, smoke-checked, then promoted to production with a backup and automatic "
        "rollback. A different line (7.4 → 8.2) is the major path: see `upkeep estimate`.",
    )
    verbs = update.add_subparsers(dest="verb", metavar="VERB", required=True)
    minor = verbs.add_parser(
        "minor",
        help="find and apply a newer build of the pinned PHP line (one project, or a fleet "
        "in waves)",
        description="Reads the builds production's package sources offer, and when a newer "
        "one on the pinned line exists: lock → refresh staging → bump staging → smoke → back "
        "up production (database, packages kept on the host) → bump production (graceful "
        "PHP-FPM reload) → smoke → unlock. Any failure after production was touched puts it "
        "back from the kept packages and reverts the pins with a revert commit.",
        epilog="Over several projects (--all, --where, PROJECT...) the update is planned by "
        "server: every staging server first, then production servers in waves (a canary of "
        "one server, then doubling, or --wave-size each), each wave waiting for its projects' "
        "maintenance windows; see 'Updating a fleet in waves' in the README. "
        f"Exit codes: 0 updated, or nothing to do; 1 failed (everything put back, or "
        f"what was not is said); 2 bad input; with --check: 0 no update, {UPDATE_AVAILABLE} "
        "an update is available.",
    )
    add_selection_arguments(minor, environments=False, parallel=False)  # waves go by server
    minor.add_argument(
        "--check",
        action="store_true",
        help="only say whether an update is available, and its security notes",
    )
    minor.add_argument(
        "--shared-host",
        action="store_true",
        help="staging runs on production's host: update both at once (production backed up "
        "first; staging is then no separate trial)",
    )
    add_fleet_arguments(minor)
    _common(minor)
    minor.set_defaults(handler=_minor)
    for verb, text in (
        ("status", "where the last update run is, or where it stopped"),
        ("resume", "carry on an update run that stopped midway"),
        ("abort", "undo an update run that stopped midway: everything back on the old build"),
    ):
        parser = verbs.add_parser(verb, help=text, description=text[0].upper() + text[1:] + ".")
        parser.add_argument("project", nargs="?", help="project name (inventories/PROJECT.yml)")
        parser.add_argument(
            "--fleet", action="store_true", help="the last fleet run (update minor --all) instead"
        )
        _common(parser, confirm=verb != "status")
        parser.set_defaults(handler={"status": _status, "resume": _resume, "abort": _abort}[verb])


def _common(parser: argparse.ArgumentParser, confirm: bool = True) -> None:
    if confirm:
        parser.add_argument(
            "--yes",
            action="store_true",
            help="do not ask before changing production (for timers and CI)",
        )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def _model(args: argparse.Namespace) -> tuple[Workspace, Project, Pins]:
    """The workspace and the project's model, loaded once for the whole job."""
    workspace = find_workspace(args.root)
    project = load_project(workspace, args.project)
    return workspace, project, load_pins(workspace, project.name)


def _minor(args: argparse.Namespace) -> int:
    workspace = find_workspace(args.root)
    selection = select(workspace, args)
    if args.check:
        if wanted(args) or not selection.single:
            raise UsageError(
                "--check reads one project's offer: over several projects, --plan shows the waves"
            )
        return run_across(args, selection, lambda project: _check(workspace, project, args))
    if not selection.single or wanted(args):
        return run_fleet(workspace, selection.projects, args, _confirm)
    project = selection.projects[0]
    args.project = project.name  # as the one-project commands name it
    pins = load_pins(workspace, project.name)
    _refuse_shared_servers(workspace, project, pins)
    console = Console()
    _confirm(args, "update PHP on staging and then production")
    report = workflow.minor(
        workspace,
        project,
        pins,
        say=console.say,
        tick=console.tick,
        shared_host=args.shared_host,
    )
    return _finish(args, publish(workspace, project, report))


def _refuse_shared_servers(workspace: Workspace, project: Project, own: Pins) -> None:
    """One project's update on a server another project's site is provisioned on would move
    that site's PHP build behind its pins' back: such projects are updated together."""
    fleet, everyone = load_all(workspace)
    others = [p for p in everyone if p.name != project.name]
    pins = {project.name: own, **{p.name: load_pins(workspace, p.name) for p in others}}
    shared = waves.neighbours(project, others, pins, fleet)
    if shared:
        sites = ", ".join(f"{site.label} on {site.server}" for site in shared)
        together = " ".join(sorted({project.name, *(site.project for site in shared)}))
        raise UsageError(
            f"{project.name} shares servers with {sites}, and a server runs one PHP build: "
            f"update them together, planned by server (upkeep update minor {together})"
        )


def _check(workspace: Workspace, project: Project, args: argparse.Namespace) -> Outcome:
    """``--check`` on one project: whether an update is offered (exit 100 if so)."""
    found = check_for_update(project, load_pins(workspace, project.name), say=Console().say)
    available = found.proposal.available
    code = UPDATE_AVAILABLE if available else ExitCode.OK
    if not args.json:
        _print_check(found)
    status = "available" if available else "ok"
    return Outcome(project.name, code, found.to_dict(), status=status)


def _resume(args: argparse.Namespace) -> int:
    if _fleet_verb(args):
        workspace = find_workspace(args.root)
        _confirm(args, "resume the fleet update (production may change)")
        _, projects = load_all(workspace)
        return finish(workspace, args, fleet.resume(workspace, projects, say=Console().say))
    workspace, project, pins = _model(args)
    _confirm(args, "resume the update (production may change)")
    console = Console()
    report = workflow.resume(workspace, project, pins, say=console.say, tick=console.tick)
    return _finish(args, publish(workspace, project, report))


def _abort(args: argparse.Namespace) -> int:
    if _fleet_verb(args):
        workspace = find_workspace(args.root)
        _confirm(args, "put back the server the fleet update stopped in")
        _, projects = load_all(workspace)
        undone = fleet.abort(workspace, projects, say=Console().say)
        finish(workspace, args, undone)
        return ExitCode.OK if undone.state is RunState.ABORTED else ExitCode.FAILED
    workspace, project, pins = _model(args)
    _confirm(args, "put staging and production back on the old PHP build")
    console = Console()
    report = workflow.abort(workspace, project, pins, say=console.say, tick=console.tick)
    # Asked to undo, and undone: success. FAILED means something could not be put back.
    code = ExitCode.OK if report.state is RunState.ABORTED else ExitCode.FAILED
    return _finish(args, publish(workspace, project, report), code)


def _fleet_verb(args: argparse.Namespace) -> bool:
    """Whether ``args`` name the fleet run (--fleet) or a project; refused: both, or neither."""
    if args.fleet and args.project:
        raise UsageError(f"give a project or --fleet, not both ({args.project} and --fleet)")
    if not args.fleet and not args.project:
        raise UsageError("give a project (update status PROJECT) or --fleet for a fleet run")
    if args.fleet:
        args.project = "the fleet"  # as a confirmation names it
    return bool(args.fleet)


def _saved(journals: JournalStore, key: str) -> tuple[str, dict[str, str] | None]:
    """Where ``key``'s journal is and who saved it last (any machine sharing the store)."""
    saved = journals.saved(key)
    if saved is None:
        return "", None
    who = {"machine": saved.machine, "state_home": saved.state_home, "saved": saved.saved}
    return f"journal: {journals.source(key)}, {saved.described()}", who


def _fleet_status(args: argparse.Namespace) -> int:
    journal = fleet.status()
    line, who = _saved(fleet.store(), fleet.RUN_KEY)
    if args.json:
        return print_json(args, {**journal.to_dict(), "saved_by": who} if journal else None)
    if journal is None:
        print("fleet: no fleet update has run")
        return ExitCode.OK
    print(f"fleet: run {journal.run_id}: {journal.where()}")
    print(line)
    rows = [(s.name, str(s.state), s.detail) for s in journal.steps]
    print(table(("step", "state", "detail"), rows))
    if not journal.state.finished:
        print("next: `upkeep update resume --fleet` or `upkeep update abort --fleet`")
    return ExitCode.OK


def _status(args: argparse.Namespace) -> int:
    if _fleet_verb(args):
        return _fleet_status(args)
    workspace = find_workspace(args.root)
    project = load_project(workspace, args.project)  # an unknown project is a usage error
    journal = workflow.status(project)
    line, who = _saved(update_runs.store(), project.name)
    unfinished = journal is not None and not journal.state.finished
    lock = workflow.holder(project) if unfinished else None
    if args.json:
        data = {**journal.to_dict(), "saved_by": who} if journal else None
        if data is not None and unfinished:
            data["holder"] = _holder_dict(lock)
        return print_json(args, data)
    if journal is None:
        print(f"{args.project}: no update has run")
        return ExitCode.OK
    print(
        f"{journal.project}: run {journal.run_id}, PHP {from_build(journal)} → "
        f"{to_build(journal)}: {journal.where()}"
    )
    print(line)
    rows = [
        (s.name, str(s.state), f"{s.seconds:.1f} s" if s.seconds is not None else "", s.detail)
        for s in journal.steps
    ]
    if rows:
        print(table(("step", "state", "took", "detail"), rows))
    if unfinished and lock is not None and lock.liveness is Liveness.ALIVE:
        print(f"running: {lock.describe()}")
    elif unfinished:
        gone = lock.describe() if lock else "no run holds production's lock"
        print(f"not running ({gone})")
        print(
            f"next: `upkeep update resume {journal.project}` or "
            f"`upkeep update abort {journal.project}`"
        )
    return ExitCode.OK


def _holder_dict(lock: LockStatus | None) -> dict[str, object] | None:
    if lock is None:
        return {"liveness": "none", "holder": None}
    return {
        "liveness": str(lock.liveness),
        "reason": lock.reason,
        "holder": lock.holder.describe() if lock.holder else None,
    }


def _confirm(args: argparse.Namespace, what: str) -> None:
    if args.yes:
        return
    if not sys.stdin.isatty():
        raise UsageError(f"refusing to {what} of {args.project} without --yes (no terminal to ask)")
    if input(f"{what[0].upper()}{what[1:]} of {args.project}? [y/N] ").strip().lower() not in (
        "y",
        "yes",
    ):
        raise UsageError("not confirmed: nothing changed")


def _finish(args: argparse.Namespace, published: Published, code: int | None = None) -> int:
    """Where the report went, then the run; ``code`` by default: whether it succeeded."""
    report = published.report
    if code is None:
        code = ExitCode.OK if report.ok else ExitCode.FAILED
    for delivery in published.deliveries:
        state = "sent" if delivery.ok else "NOT sent"
        notice(f"report {state} by {delivery.channel} to {delivery.target}: {delivery.detail}")
    if args.json:
        failed = [report.error] if report.error and code != ExitCode.OK else []
        return print_json(args, published.to_dict(), code, errors=failed)
    print(
        f"{report.project}: {report.state}: PHP {report.from_build}"
        + (f" → {report.to_build}" if report.to_build != report.from_build else "")
    )
    if report.error:
        print(f"why: {report.error}")
    rows = [
        (s.name, s.state, f"{s.seconds:.1f} s" if s.seconds is not None else "", s.detail)
        for s in report.steps
    ]
    if rows:
        print(table(("step", "state", "took", "what happened"), rows))
    if published.files:
        print(f"report: {published.files[1]} (also .html, .json)")
    return int(code)


def _print_check(found: UpdateCheck) -> None:
    print(f"{found.project}: {found.proposal.summary()} (read on {found.host})")
    if found.proposal.available:
        print(
            "the update would: refresh staging from production, move staging to the new "
            "build and smoke-check it, back up production and keep its packages, move "
            "production with a graceful PHP-FPM reload, smoke-check it, roll back on failure"
        )
        for line in [entry.summary() for entry in found.notes]:
            print(f"  security: {line}")
        if found.notes_error:
            print(f"  (no changelog: {found.notes_error})")
