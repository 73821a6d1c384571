"""``upkeep deploy`` and ``upkeep rollback``: move an environment's code forward or back."""

from __future__ import annotations

import argparse

from upkeep.cli.output import print_json, progress
from upkeep.errors import UsageError
from upkeep.exitcodes import ExitCode
from upkeep.inventory import load_project
from upkeep.inventory.pins import load_pins
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
    deploy.add_argument("project", help="project name (inventories/PROJECT.yml)")
    deploy.add_argument("environment", nargs="+", help="dev, staging and/or production")
    deploy.add_argument("--ref", help="branch, tag or commit (default: the inventory's ref)")
    deploy.add_argument("--json", action="store_true", help="print the result as JSON")
    deploy.set_defaults(handler=_deploy)

    back = commands.add_parser(
        "rollback",
        help="put the previous good release back (marks the current one BAD_RELEASE)",
        description="Switches `current` back to the previous good release on every host of the "
        "environment and pins its commit.",
    )
    back.add_argument("project", help="project name (inventories/PROJECT.yml)")
    back.add_argument("environment", help="dev, staging or production")
    back.add_argument("--json", action="store_true", help="print the result as JSON")
    back.set_defaults(handler=_rollback)


def _deploy(args: argparse.Namespace) -> int:
    workspace = find_workspace(args.root)
    project = load_project(workspace, args.project)
    if args.ref is None:
        refs = {project.environment(name).ref for name in args.environment}
        if len(refs) != 1:
            raise UsageError(
                f"{', '.join(args.environment)} name different refs in the inventory; pass --ref"
            )
        args.ref = refs.pop()
    console = Console()
    result = provision(
        workspace,
        project,
        load_pins(workspace, project.name),
        args.environment,
        deploy_ref=args.ref,
        say=console.say,
        tick=console.tick,
    )
    code = ExitCode.OK if result.ok else ExitCode.FAILED
    if args.json:
        return print_json(args, result.to_dict(), code, errors=result.run.problems)
    for outcome in result.environments:
        print(f"{result.project} {outcome.environment}: {args.ref} = {str(outcome.commit)[:10]}")
    if result.pins_commit:
        print(f"pins committed: {result.pins_commit[:10]}")
    return code


def _rollback(args: argparse.Namespace) -> int:
    workspace = find_workspace(args.root)
    project = load_project(workspace, args.project)
    pins = load_pins(workspace, project.name)
    result = rollback(workspace, project, pins, args.environment, say=progress)
    if args.json:
        return print_json(args, result.to_dict())
    print(
        f"{result.project} {result.environment}: release {result.from_release} -> "
        f"{result.to_release} ({result.commit[:10]})"
    )
    if result.pins_commit:
        print(f"pins committed: {result.pins_commit[:10]}")
    return ExitCode.OK
