"""``upkeep provision PROJECT... ENV...`` (or --all, --where): make environments match their
desired state, one project after another."""

from __future__ import annotations

import argparse

from upkeep.cli.across import Outcome, run_across
from upkeep.cli.output import table
from upkeep.cli.selection import add_selection_arguments, select
from upkeep.exitcodes import ExitCode
from upkeep.inventory import Project
from upkeep.inventory.pins import load_pins
from upkeep.progress import Console
from upkeep.provision.workflow import ProvisionResult, provision
from upkeep.runner import OpStatus
from upkeep.workspace import find_workspace


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "provision",
        help="make an environment match its desired state (idempotent)",
        description="Applies deploys/site.py to every host of the environment: base host, "
        "PHP-FPM at the pinned build, MariaDB, nginx with HTTPS and friendly error pages, "
        "and the pinned release of the code. Changes only what differs; records the pins. "
        "Each host is checked first (every operation against facts read in a few batched "
        "commands); a host already in sync is left alone, the others run (--full: all run).",
    )
    add_selection_arguments(parser, environments=True)
    parser.add_argument(
        "--dry-run", action="store_true", help="list what would change; change nothing"
    )
    parser.add_argument(
        "--php-build",
        metavar="BUILD",
        help="on a first provision only: the PHP build to pin (a version, 'newest', 'oldest', "
        "or 'installed' to adopt what the hosts run; default newest)",
    )
    parser.add_argument(
        "--allow-downgrade",
        action="store_true",
        help="let a first provision move a host to an older PHP build than it runs (undoing "
        "its security fixes; refused without this)",
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="run every operation on every host, even on hosts the check finds in sync",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=_provision)


def _provision(args: argparse.Namespace) -> int:
    workspace = find_workspace(args.root)
    selection = select(workspace, args, need_environments=True)
    dry = " (dry run)" if args.dry_run else ""

    def one(project: Project) -> Outcome:
        console = Console()  # made where the project runs: a child's progress goes to its parent
        names = selection.environments_of(project)
        console.say(f"provisioning {project.name} {', '.join(names)}{dry}")
        result = provision(
            workspace,
            project,
            load_pins(workspace, project.name),
            names,
            dry_run=args.dry_run,
            php_build=args.php_build,
            allow_downgrade=args.allow_downgrade,
            full=args.full,
            say=console.say,
            tick=console.tick,  # each operation: redrawn on a terminal, now and then in a log
        )
        problems = tuple(result.run.problems)
        if not args.json:
            _print(result)
        code = ExitCode.OK if result.ok else ExitCode.FAILED
        return Outcome(project.name, code, result.to_dict(), problems, "; ".join(problems))

    return run_across(args, selection, one)


LISTED = 20  # changed operations shown one by one; more are counted per task


def by_task(changed: list[tuple[str, str]]) -> list[tuple[str, int, int]]:
    """(task, operations changed, hosts) in the order tasks ran; a task is the deploy
    section an operation belongs to ("Site | PHP-FPM | ..." is PHP-FPM's).

    >>> by_task([("a", "Site | PHP-FPM | pool"), ("b", "Site | PHP-FPM | pool"), ("a", "x")])
    [('PHP-FPM', 2, 2), ('x', 1, 1)]
    """
    counts: dict[str, tuple[int, set[str]]] = {}
    for host, operation in changed:
        parts = operation.split(" | ")
        task = parts[1] if len(parts) > 2 else parts[0]
        count, hosts = counts.get(task, (0, set()))
        counts[task] = (count + 1, hosts | {host})
    return [(task, count, len(hosts)) for task, (count, hosts) in counts.items()]


def _print(result: ProvisionResult) -> None:
    run = result.run
    for outcome in result.environments:
        print(
            f"{result.project} {outcome.environment}: PHP {outcome.php_build}, "
            f"code {str(outcome.commit)[:10]}"
        )
    for check in result.checks:
        done = (
            f"in sync: nothing to do (checked {check.checked} operations)"
            if check.in_sync
            else f"ran its operations ({check.reason})"
        )
        print(f"{check.host} ({check.environment}): {done}")
    if result.dry_run:
        rows = [(op.host, op.operation) for op in run.ops if op.will_change]
        if not rows:
            print(f"{result.project}: nothing to change (dry run)")
            return
        print(f"{len(rows)} operations would change (dry run, nothing changed)")
        print(table(("host", "operation"), rows))
        return
    changed = [(op.host, op.operation) for op in run.ops if op.status is OpStatus.CHANGED]
    print(f"{len(changed)} of {len(run.ops)} operations changed in {result.seconds:.1f} s")
    if len(changed) > LISTED:  # a first provision: by task, not a line per operation and host
        print(table(("task", "operations changed", "hosts"), by_task(changed)))
        print("(--json lists every operation)")
    elif changed:
        print(table(("host", "changed"), changed))
    if result.pins_commit:
        print(f"pins committed: {result.pins_commit[:10]}")
