"""``upkeep deploy`` and ``upkeep rollback``: move an environment's code forward or back,
for one project or a selection (``PROJECT... ENV...``, ``--all``, ``--where``)."""

from __future__ import annotations

import argparse

from upkeep.cli.across import Outcome, run_across
from upkeep.cli.output import progress
from upkeep.cli.selection import add_selection_arguments, select
from upkeep.errors import UsageError
from upkeep.exitcodes import ExitCode
from upkeep.inventory import Project
from upkeep.inventory.pins import load_pins
from upkeep.inventory.selection import Selection
from upkeep.progress import Console
from upkeep.provision.rollback import rollback
from upkeep.provision.workflow import provision
from upkeep.workspace import find_workspace


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    deploy = commands.add_parser(
        "deploy",
        help="release a git ref to environments (provision, with the code moved)",
        description="Resolves REF in the project's repository, provisions the environments "
        "with that commit as a new release (current switched atomically) and pins it.",
    )
    add_selection_arguments(deploy, environments=True)
    deploy.add_argument("--ref", help="branch, tag or commit (default: the inventory's ref)")
    deploy.add_argument("--json", action="store_true", help="print the result as JSON")
    deploy.set_defaults(handler=_deploy)

    back = commands.add_parser(
        "rollback",
        help="put the previous good release back (marks the current one BAD_RELEASE)",
        description="Switches `current` back to the previous good release on every host of the "
        "environment and pins its commit.",
    )
    add_selection_arguments(back, environments=True)
    back.add_argument("--json", action="store_true", help="print the result as JSON")
    back.set_defaults(handler=_rollback)


def _deploy(args: argparse.Namespace) -> int:
    workspace = find_workspace(args.root)
    selection = select(workspace, args, need_environments=True)
    refs = {project.name: _ref(args.ref, project, selection) for project in selection.projects}

    def one(project: Project) -> Outcome:
        console = Console()  # made where the project runs: a child's progress goes to its parent
        ref = refs[project.name]
        result = provision(
            workspace,
            project,
            load_pins(workspace, project.name),
            selection.environments_of(project),
            deploy_ref=ref,
            say=console.say,
            tick=console.tick,
        )
        code = ExitCode.OK if result.ok else ExitCode.FAILED
        problems = tuple(result.run.problems)
        if not args.json:
            for done in result.environments:
                print(f"{result.project} {done.environment}: {ref} = {str(done.commit)[:10]}")
            if result.pins_commit:
                print(f"pins committed: {result.pins_commit[:10]}")
        return Outcome(project.name, code, result.to_dict(), problems, "; ".join(problems))

    return run_across(args, selection, one)


def _ref(given: str | None, project: Project, selection: Selection) -> str:
    """--ref, else the one ref the inventory names for the selected environments."""
    if given is not None:
        return given
    names = selection.environments_of(project)
    refs = {project.environment(name).ref for name in names}
    if len(refs) != 1:
        raise UsageError(f"{', '.join(names)} name different refs in the inventory; pass --ref")
    return refs.pop()


def _rollback(args: argparse.Namespace) -> int:
    workspace = find_workspace(args.root)
    selection = select(workspace, args, need_environments=True)
    if len(selection.environments) != 1 or "all" in selection.environments:
        raise UsageError(f"rollback takes one environment, not {' '.join(selection.environments)}")
    (environment,) = selection.environments

    def one(project: Project) -> Outcome:
        pins = load_pins(workspace, project.name)
        result = rollback(workspace, project, pins, environment, say=progress)
        if not args.json:
            print(
                f"{result.project} {result.environment}: release {result.from_release} -> "
                f"{result.to_release} ({result.commit[:10]})"
            )
            if result.pins_commit:
                print(f"pins committed: {result.pins_commit[:10]}")
        return Outcome(project.name, ExitCode.OK, result.to_dict())

    return run_across(args, selection, one)
