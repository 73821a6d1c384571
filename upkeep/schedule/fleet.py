"""CI fan-out: one GitLab CI and one GitHub Actions pipeline that spread a fleet over runners.

``upkeep schedule --all --fanout`` (or any selection) writes, instead of the
per-project directories, ``fleet-gitlab-ci.yml`` and ``fleet-github-workflow.yml``:
each scheduled job (update, refresh, check, propose; update-check by hand) is one
matrix job with an entry per project, or per shard of projects past the
matrix limit, each entry locked by its servers' group (``upkeep.schedule.fanout``).
Secrets are read from masked CI variables (``UPKEEP_SECRET_*``) and the state
store from ``UPKEEP_DATABASE_URL``; neither value is ever in a file.

    >>> script_lines(JOBS["check"], ".venv/bin/upkeep")[2]
    '  .venv/bin/upkeep --root "$PWD" check "$project" > "reports/ci/$project-check.log" || code=$?'
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from upkeep.errors import UsageError
from upkeep.inventory import EnvName, Project
from upkeep.inventory.servers import load_fleet
from upkeep.schedule.fanout import MATRIX_LIMIT, Shard, group_name, members_of, shards
from upkeep.schedule.jobs import JOBS, JobCommand
from upkeep.schedule.model import Job, Schedule
from upkeep.schedule.needs import Needs, fleet_needs
from upkeep.schedule.plan import Request, make_timing, proposes
from upkeep.schedule.render import Entry, GeneratedFile, entry_of, github_expression, yaml_string
from upkeep.templating import render as render_template
from upkeep.workspace import Workspace

GITLAB_FILE = "fleet-gitlab-ci.yml"
GITHUB_FILE = "fleet-github-workflow.yml"
FILE_NAMES = frozenset({GITLAB_FILE, GITHUB_FILE})
# What a job runs first, from the checkout: a virtualenv with upkeep installed from it.
DEFAULT_INSTALL = "python3 -m venv .venv && .venv/bin/pip install --quiet ."
DEFAULT_UPKEEP = ".venv/bin/upkeep"
GATE_JOB = "approve-production"


@dataclass(frozen=True)
class FanOutRequest:
    """The fan-out's own options; the times come from the schedule's ``Request``."""

    selectors: tuple[str, ...]  # as typed: PROJECT..., --all, --where K=V (for the header)
    install: str = DEFAULT_INSTALL
    upkeep: str = DEFAULT_UPKEEP
    gate: bool = False  # a person starts the update after the proposal (when: manual)
    limit: int = MATRIX_LIMIT


@dataclass(frozen=True)
class MatrixJob:
    """One job of the pipelines: its command, when, and its matrix entries."""

    name: str  # as in JOBS and UPKEEP_JOB
    command: JobCommand
    entry: Entry | None  # None: started by hand only (update-check)
    shards: tuple[Shard, ...]  # GitLab: a large cluster's shards queue on its resource group
    # GitHub: whole clusters, so no two entries share a group (for jobs that change servers)
    whole_shards: tuple[Shard, ...]
    left_out: tuple[str, ...]  # projects this job cannot run on (refresh: no staging)


@dataclass(frozen=True)
class FanOut:
    """Everything the two fleet files are rendered from, and the files."""

    schedule: Schedule  # the times; its project is the selection as typed
    request: FanOutRequest
    projects: tuple[str, ...]
    jobs: tuple[MatrixJob, ...]
    needs: Needs
    files: tuple[GeneratedFile, ...]
    warnings: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "projects": list(self.projects),
            "matrix_limit": self.request.limit,
            "gate": self.request.gate,
            "install": self.request.install,
            "upkeep": self.request.upkeep,
            "jobs": [
                {
                    "job": job.name,
                    "when": job.entry.timing if job.entry else "by hand",
                    "shards": [
                        {"projects": list(s.projects), "servers": list(s.servers), "group": s.group}
                        for s in job.shards
                    ],
                    "left_out": list(job.left_out),
                }
                for job in self.jobs
            ],
            "secret_variables": list(self.needs.secret_vars),
        }


def make_fanout(
    workspace: Workspace,
    projects: Sequence[Project],
    request: Request,
    fanout: FanOutRequest,
    year: int,
    home: Path | None = None,
    location: str = "schedules",
) -> FanOut:
    """The fleet pipelines for ``projects`` (validated options, or a UsageError);
    ``location`` is the output directory as the repository sees it (for the include line)."""
    _check_command(fanout.install, "--ci-install")
    _check_command(fanout.upkeep, "--ci-upkeep")
    timing = make_timing(workspace, request)
    schedule = Schedule(
        " ".join(fanout.selectors),
        timing.timezone,
        timing.user,
        timing.repo_dir,
        timing.update,
        timing.refresh,
        timing.check,
        timing.propose,
        proposals=any(proposes(project) for project in projects),
    )
    if not schedule.jobs():
        raise UsageError(
            "nothing to schedule: --no-update, --no-refresh and --no-checks given, and no "
            "selected project's care plan has major_proposals for the propose job"
        )
    every = members_of(projects, load_fleet(workspace.inventories))
    members = {member.project: member for member in every}
    jobs = []
    for name, command in JOBS.items():
        entry = next(
            (entry_of(schedule, job, when, year) for job, when in schedule.jobs() if job == name),
            None,
        )
        if entry is None and name != "update-check":
            continue
        fit, left_out = _runnable(name, projects)
        chosen = [members[project.name] for project in fit]
        split = shards(chosen, fanout.limit, fleet=every) if chosen else ()
        whole = split
        if chosen and command.changes_hosts:
            whole = shards(chosen, fanout.limit, split=False, fleet=every)
        jobs.append(MatrixJob(name, command, entry, split, whole, left_out))
    needs = fleet_needs(projects, workspace.root, home or Path.home(), timing.user)
    names = tuple(project.name for project in projects)
    header = f"Generated by `{_command_line(schedule, fanout)}`; run it again rather than editing."
    context = {
        "header": header,
        "s": schedule,
        "projects": names,
        "jobs": jobs,
        "needs": needs,
        "secret_vars": needs.secret_vars,
        "fanout": fanout,
        "gate_job": GATE_JOB,
        "q": yaml_string,
        "gh": github_expression,
        "script": lambda command: script_lines(command, fanout.upkeep),
        "github_script": lambda command: script_lines(command, fanout.upkeep, github=True),
        "shard_name": lambda shard: group_name(shard.projects),
        "github_if": github_if,
        "include_path": f"{location}/{GITLAB_FILE}",
    }
    files = (
        GeneratedFile(
            GITLAB_FILE,
            render_template("schedule/fleet-gitlab-ci.yml.j2", **context),
            "included from the repository's .gitlab-ci.yml",
        ),
        GeneratedFile(
            GITHUB_FILE,
            render_template("schedule/fleet-github-workflow.yml.j2", **context),
            ".github/workflows/upkeep-fleet.yml",
        ),
    )
    return FanOut(schedule, fanout, names, tuple(jobs), needs, files, _warnings(jobs, needs))


def script_lines(command: JobCommand, upkeep: str, *, github: bool = False) -> tuple[str, ...]:
    """The shell lines that run ``command`` on each project of ``$UPKEEP_PROJECTS`` in turn.

    Every project runs even when one fails; the job then exits with the last
    failing code, or else the last warning code (``allow_failure`` reads it).
    """
    # GitLab starts a job in its checkout; gitlab-ci-local's shell runs name another
    # CI_PROJECT_DIR than the one they run in, so the directory itself it is.
    root = '"$GITHUB_WORKSPACE"' if github else '"$PWD"'
    words = " ".join('"$project"' if w == "PROJECT" else shlex.quote(w) for w in command.args)
    log = f'"reports/ci/$project-{command.name}.log"'
    warn = " || ".join(f'[ "$code" = {code} ]' for code in command.warn_codes) or "false"
    return (
        "failed=0; warned=0",
        "for project in $UPKEEP_PROJECTS; do code=0",
        f"  {upkeep} --root {root} {words} > {log} || code=$?",
        f"  cat {log}",
        '  if [ "$code" = 0 ]; then :',
        f'  elif {warn}; then warned=$code; echo "$project: exit $code (a warning)"',
        '  else failed=$code; echo "$project: failed with exit $code"; fi',
        "done",
        '[ "$failed" = 0 ] || exit "$failed"',
        'exit "$warned"',
    )


def github_if(jobs: Sequence[str], crons: Sequence[str]) -> str:
    """The ``if:`` that starts a GitHub job on its schedules or when asked for by hand.

    >>> github_if(["update"], ["0 4 * * 2"])
    "github.event.schedule == '0 4 * * 2' || inputs.job == 'update'"
    """
    tests = [f"github.event.schedule == '{cron}'" for cron in crons]
    return " || ".join(tests + [f"inputs.job == '{job}'" for job in jobs])


def _runnable(name: str, projects: Sequence[Project]) -> tuple[list[Project], tuple[str, ...]]:
    """The projects ``name`` can run on, and those it cannot (a refresh needs staging, a
    proposal a care plan with major_proposals)."""
    if name == Job.refresh:
        fit = [p for p in projects if EnvName.staging in p.environments]
    elif name == Job.propose:
        fit = [p for p in projects if proposes(p)]
    else:
        return list(projects), ()
    return fit, tuple(p.name for p in projects if p not in fit)


def _warnings(jobs: Sequence[MatrixJob], needs: Needs) -> tuple[str, ...]:
    found = [
        f"{job.name}: {', '.join(job.left_out)} left out (no staging environment to refresh)"
        for job in jobs
        # A project left out of the proposals is its care plan's choice, not a mistake.
        if job.left_out and job.name == Job.refresh
    ]
    if needs.hosts_without_key:
        found.append(
            f"hosts {', '.join(needs.hosts_without_key)} have no SSH key in the inventory "
            "(add key: to each host; unattended runs cannot ask for one)"
        )
    return tuple(found)


def _command_line(schedule: Schedule, fanout: FanOutRequest) -> str:
    """The ``upkeep schedule`` call that makes exactly these files."""
    words = ["upkeep", "schedule", *fanout.selectors, "--fanout", *schedule.timing_words()]
    if fanout.gate:
        words.append("--gate")
    if fanout.install != DEFAULT_INSTALL:
        words += ["--ci-install", fanout.install]
    if fanout.upkeep != DEFAULT_UPKEEP:
        words += ["--ci-upkeep", fanout.upkeep]
    return shlex.join(words)


def _check_command(text: str, option: str) -> None:
    """A one-line shell command: it goes into YAML scalars and shell lines."""
    if not text.strip() or "\n" in text or "\r" in text:
        raise UsageError(f"{option} {text!r:.60}: give one non-empty line of shell")
