"""``upkeep schedule PROJECT...`` (or --all, --where): files for scheduled updates,
refreshes, checks and major-upgrade proposals.

    upkeep schedule demo --timezone Europe/Warsaw --update-at "Tue 06:00" --dry-run

Writes systemd units, a cron file, a GitLab CI file and a GitHub Actions
workflow to ``<repository>/schedules/PROJECT/`` (or ``--output``; for several
projects ``--output``/PROJECT). A second
run rewrites nothing. Exit 0 when the files are right, 2 on bad input (nothing
written).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from upkeep.cli.across import Outcome, run_across
from upkeep.cli.output import print_json, table
from upkeep.cli.selection import add_selection_arguments, select
from upkeep.errors import UsageError
from upkeep.exitcodes import ExitCode
from upkeep.inventory import Project
from upkeep.schedule import model
from upkeep.schedule.fleet import (
    DEFAULT_INSTALL,
    DEFAULT_UPKEEP,
    FILE_NAMES,
    GITHUB_FILE,
    GITLAB_FILE,
    FanOut,
    FanOutRequest,
    make_fanout,
)
from upkeep.schedule.plan import Request, in_repository, make_plan
from upkeep.schedule.render import Plan, possible_names
from upkeep.schedule.steps import Step, install_steps
from upkeep.schedule.write import FileOutcome, FileStatus, sync
from upkeep.workspace import Workspace, find_workspace

if TYPE_CHECKING:
    from upkeep.inventory.selection import Selection


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "schedule",
        help="write systemd timers, a cron file and CI pipelines for scheduled runs",
        description="Writes ready-to-install files that run the minor PHP update weekly, the "
        "staging refresh before it, the monitoring checks every few minutes, and the weekly "
        "major-upgrade proposal (upkeep propose) where the care plan asks for one: systemd "
        "services and timers, an /etc/cron.d file, a GitLab CI file and a GitHub Actions "
        "workflow. Secrets are referenced by name, never written.",
        epilog="WHEN is 'DAYS HH:MM' in --timezone: a day (Tue), a list (Mon,Thu), a range "
        "(Mon..Fri) or daily. INTERVAL is minutes dividing an hour (1, 2, 3, 4, 5, 6, 10, 12, "
        "15, 20, 30) as '5m', or '1h'. Exit codes: 0 files written or already right, "
        "2 bad input (nothing written).",
    )
    add_selection_arguments(parser, environments=False)
    parser.add_argument(
        "--output",
        metavar="DIR",
        help="where to write the files (default: schedules/PROJECT in the repository; "
        "for several projects DIR/PROJECT; not - : they are several files, see them with "
        "--dry-run --json)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="list what would be written; write nothing"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--timezone",
        metavar="ZONE",
        default=model.DEFAULT_TIMEZONE,
        help=f"IANA time zone of the times (default {model.DEFAULT_TIMEZONE})",
    )
    when = f"when to run the minor PHP update (default {model.DEFAULT_UPDATE_AT!r})"
    _job_option(parser, "--update-at WHEN", model.DEFAULT_UPDATE_AT, when, "--no-update", "update")
    when = f"when to refresh staging from production (default {model.DEFAULT_REFRESH_AT!r})"
    _job_option(
        parser, "--refresh-at WHEN", model.DEFAULT_REFRESH_AT, when, "--no-refresh", "refresh"
    )
    every = f"how often to run the checks (default {model.DEFAULT_CHECK_EVERY})"
    _job_option(
        parser, "--check-every INTERVAL", model.DEFAULT_CHECK_EVERY, every, "--no-checks", "check"
    )
    when = (
        f"when to write major-upgrade proposals (default {model.DEFAULT_PROPOSE_AT!r}; only for "
        "projects whose care plan has major_proposals)"
    )
    _job_option(
        parser, "--propose-at WHEN", model.DEFAULT_PROPOSE_AT, when, "--no-propose", "propose"
    )
    parser.add_argument(
        "--user",
        default=model.DEFAULT_USER,
        help=f"the system user the timers and cron run as (default {model.DEFAULT_USER})",
    )
    parser.add_argument(
        "--repo-dir",
        metavar="DIR",
        help="the repository's path on the machine that runs the jobs (default: this one's)",
    )
    fanout = parser.add_argument_group(
        "CI fan-out",
        "one GitLab CI and one GitHub Actions pipeline for the whole selection, each job a "
        "matrix spread over runners (see 'CI fan-out' in the README)",
    )
    fanout.add_argument(
        "--fanout",
        action="store_true",
        help="write fleet-gitlab-ci.yml and fleet-github-workflow.yml for the selected "
        "projects (in schedules/, or --output) instead of files per project",
    )
    fanout.add_argument(
        "--gate",
        action="store_true",
        help="with --fanout: the update waits for a person (GitLab: a manual job after the "
        "proposal; GitHub: the upkeep-production environment's reviewers)",
    )
    fanout.add_argument(
        "--ci-install",
        metavar="COMMAND",
        help=f"with --fanout: what each job runs first, from the checkout, to install upkeep "
        f"(default {DEFAULT_INSTALL!r})",
    )
    fanout.add_argument(
        "--ci-upkeep",
        metavar="COMMAND",
        help=f"with --fanout: how each job calls upkeep (default {DEFAULT_UPKEEP!r})",
    )
    parser.set_defaults(handler=_schedule)


def _job_option(
    parser: argparse.ArgumentParser, usage: str, default: str, help: str, off: str, job: str
) -> None:
    """``--X-at WHEN`` (``usage``) and its ``--no-X`` (``off``): the job left out, as None."""
    flag, metavar = usage.split(" ")
    group = parser.add_mutually_exclusive_group()
    group.add_argument(flag, metavar=metavar, default=default, help=help)
    dest = flag.removeprefix("--").replace("-", "_")
    group.add_argument(off, dest=dest, action="store_const", const=None, help=f"no {job} job")


def _schedule(args: argparse.Namespace) -> int:
    if args.output == "-":  # stdout elsewhere; here it cannot hold a directory of files
        raise UsageError(
            "--output -: schedule writes several files (systemd units, a cron file, CI "
            "pipelines), not one for stdout; give a directory, or list them with --dry-run"
        )
    workspace = find_workspace(args.root)
    if args.output and Path(args.output).exists() and not Path(args.output).is_dir():
        raise UsageError(f"--output {args.output}: not a directory")
    selection = select(workspace, args)
    if args.fanout:
        return _fanout(args, workspace, selection)
    for option in ("gate", "ci_install", "ci_upkeep"):
        if getattr(args, option):
            raise UsageError(f"--{option.replace('_', '-')}: only with --fanout")

    def one(project: Project) -> Outcome:
        output = workspace.root / "schedules" / project.name
        if args.output:
            output = Path(args.output) / ("" if selection.single else project.name)
        request = _request(args, project.name)
        plan = make_plan(workspace, request, year=dt.datetime.now(dt.UTC).year, output=output)
        outcomes = sync(output, plan.files, possible_names(plan.schedule.project), args.dry_run)
        steps = install_steps(plan, _shown(output))
        if not args.json:
            _print(plan, outcomes, steps, output, args.dry_run)
        data = _as_dict(plan, outcomes, steps, output, args.dry_run)
        return Outcome(project.name, ExitCode.OK, data)

    return run_across(args, selection, one, read_only=True)  # files here, no server


def _request(args: argparse.Namespace, project: str) -> Request:
    """The times and options as given, for ``project`` (empty: the whole selection)."""
    return Request(
        project=project,
        timezone=args.timezone,
        update_at=args.update_at,
        refresh_at=args.refresh_at,
        check_every=args.check_every,
        propose_at=args.propose_at,
        user=args.user,
        repo_dir=args.repo_dir,
    )


def _fanout(args: argparse.Namespace, workspace: Workspace, selection: Selection) -> int:
    """The fleet's two pipelines, written (or listed) like the files of one project."""
    output = Path(args.output) if args.output else workspace.root / "schedules"
    location = in_repository(workspace, output) or "schedules"
    request = _request(args, "")
    wanted = FanOutRequest(
        selectors=_selectors(args),
        install=args.ci_install or DEFAULT_INSTALL,
        upkeep=args.ci_upkeep or DEFAULT_UPKEEP,
        gate=args.gate,
    )
    year = dt.datetime.now(dt.UTC).year
    fanout = make_fanout(workspace, selection.projects, request, wanted, year, location=location)
    outcomes = sync(output, list(fanout.files), FILE_NAMES, args.dry_run)
    data = {
        "dry_run": args.dry_run,
        "directory": str(output.absolute()),
        "fanout": fanout.to_dict(),
        "files": [outcome.to_dict() for outcome in outcomes],
        "warnings": list(fanout.warnings),
    }
    if args.json:
        return print_json(args, data)
    _print_fanout(fanout, outcomes, output, args.dry_run)
    return int(ExitCode.OK)


def _selectors(args: argparse.Namespace) -> tuple[str, ...]:
    """The selection as typed, for the files' headers."""
    words = list(args.projects) + (["--all"] if args.all else [])
    for clause in args.where:
        words += ["--where", clause]
    return tuple(words)


def _print_fanout(fanout: FanOut, outcomes: list[FileOutcome], output: Path, dry_run: bool) -> None:
    count = len(fanout.projects)
    print(f"CI fan-out of {count} project(s), times in {fanout.schedule.timezone}")
    rows = [
        (
            job.name,
            job.entry.timing if job.entry else "by hand",
            str(len(job.shards)),
            str(len(job.whole_shards)),
            str(len({s.group for s in job.shards})) if job.command.changes_hosts else "-",
        )
        for job in fanout.jobs
    ]
    print(table(("job", "when", "GitLab jobs", "GitHub jobs", "server locks"), rows))
    here = _shown(output)
    steps = [
        Step(
            "GitLab CI",
            (
                f"# include {here}/{GITLAB_FILE} from .gitlab-ci.yml (include: - local: ...)",
                "# add the CI/CD variables and one pipeline schedule per job listed in its header",
            ),
        ),
        Step(
            "GitHub Actions",
            (
                f"mkdir -p .github/workflows && cp {here}/{GITHUB_FILE} "
                ".github/workflows/upkeep-fleet.yml",
                "# add the repository secrets and variables listed in its header",
            ),
        ),
    ]
    _print_tail(outcomes, output, dry_run, fanout.warnings, steps)


def _shown(path: Path) -> str:
    """``path`` as the user would type it from here: relative when below the current directory."""
    absolute = path.absolute()
    cwd = Path.cwd()
    return os.path.relpath(absolute, cwd) if absolute.is_relative_to(cwd) else str(absolute)


def _as_dict(
    plan: Plan, outcomes: list[FileOutcome], steps: list[Step], output: Path, dry_run: bool
) -> dict[str, object]:
    return {
        "project": plan.schedule.project,
        "dry_run": dry_run,
        "directory": str(output.absolute()),
        "schedule": {
            **plan.schedule.to_dict(),
            "jobs": [
                {
                    "job": entry.job.value,
                    "when": entry.timing,
                    "command": ["upkeep", *entry.command.argv(plan.schedule.project)],
                    "oncalendar": entry.oncalendar,
                    "cron": entry.cron,
                    "github_cron_utc": entry.utc_cron,
                    "github_note": entry.utc_note,
                }
                for entry in plan.entries
            ],
        },
        "files": [outcome.to_dict() for outcome in outcomes],
        "warnings": list(plan.warnings),
        "next_steps": [step.to_dict() for step in steps],
    }


def _print(
    plan: Plan, outcomes: list[FileOutcome], steps: list[Step], output: Path, dry_run: bool
) -> None:
    s = plan.schedule
    print(f"{s.project}: times in {s.timezone}, run as {s.user} from {s.repo_dir}")
    rows = [
        (entry.job, entry.timing, f"upkeep {entry.argv}", entry.oncalendar)
        for entry in plan.entries
    ]
    print(table(("job", "when", "command", "systemd OnCalendar"), rows))
    _print_tail(outcomes, output, dry_run, plan.warnings, steps)


def _print_tail(
    outcomes: list[FileOutcome],
    output: Path,
    dry_run: bool,
    warnings: Sequence[str],
    steps: Sequence[Step],
) -> None:
    """The files and their status, the warnings, then how to install them."""
    print()
    changed = sum(outcome.status is not FileStatus.unchanged for outcome in outcomes)
    summary = f"{changed} of {len(outcomes)} files would change (dry run, nothing written)"
    if not dry_run:
        summary = f"{changed} of {len(outcomes)} files written or removed"
    print(f"files in {_shown(output)}: {summary}")
    print(
        table(
            ("status", "file", "installs to"),
            [(o.label, o.path.name, o.install) for o in outcomes],
        )
    )
    if warnings:
        print()
        print("warnings:")
        for warning in warnings:
            print(f"  - {warning}")
    print()
    print("next steps:")
    for step in steps:
        print(f"  {step.title}:")
        for command in step.commands:
            print(f"    {command}")
