"""From the command's options to the files: validate everything, then render.

Every check happens here, before anything is written, so bad input changes
nothing.

    >>> from upkeep.workspace import find_workspace
    >>> request = Request("demo", timezone="Europe/Warsaw", refresh_at=None)
    >>> plan = make_plan(find_workspace(), request, year=2025)  # doctest: +SKIP
    >>> [str(when) for _, when in plan.schedule.jobs()]  # doctest: +SKIP
    ['Tue 06:00', '5m']
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from upkeep.errors import UsageError
from upkeep.inventory import EnvName, Project, load_project
from upkeep.schedule import model
from upkeep.schedule.model import Every, Schedule, Weekly
from upkeep.schedule.needs import needs_of
from upkeep.schedule.render import Plan, render
from upkeep.schedule.zones import check_timezone
from upkeep.workspace import Workspace


@dataclass(frozen=True)
class Request:
    """The options as given; ``None`` switches a job off."""

    project: str
    timezone: str = model.DEFAULT_TIMEZONE
    update_at: str | None = model.DEFAULT_UPDATE_AT
    refresh_at: str | None = model.DEFAULT_REFRESH_AT
    check_every: str | None = model.DEFAULT_CHECK_EVERY
    propose_at: str | None = model.DEFAULT_PROPOSE_AT
    user: str = model.DEFAULT_USER
    repo_dir: str | None = None  # default: the workspace's own path


def make_schedule(workspace: Workspace, request: Request) -> Schedule:
    """The validated schedule, or a UsageError naming the option and what is wrong with it."""
    return _validated(workspace, request)[0]


@dataclass(frozen=True)
class Timing:
    """The validated options every schedule shares, whatever its projects."""

    timezone: str
    user: str
    repo_dir: PurePosixPath
    update: Weekly | None
    refresh: Weekly | None
    check: Every | None
    propose: Weekly | None


def make_timing(workspace: Workspace, request: Request) -> Timing:
    """The times and the run's user and directory, or a UsageError naming the option."""
    update = model.parse_weekly(request.update_at, "--update-at") if request.update_at else None
    refresh = model.parse_weekly(request.refresh_at, "--refresh-at") if request.refresh_at else None
    check = model.parse_every(request.check_every, "--check-every") if request.check_every else None
    propose = model.parse_weekly(request.propose_at, "--propose-at") if request.propose_at else None
    if update is None and refresh is None and check is None and propose is None:
        raise UsageError(
            "nothing to schedule: --no-update, --no-refresh, --no-checks and --no-propose all given"
        )
    model.check_distinct(update, refresh)
    timezone = check_timezone(request.timezone)
    user = model.check_user(request.user)
    if request.repo_dir is not None:
        repo_dir = model.check_repo_dir(request.repo_dir)
    else:
        repo_dir = model.check_repo_dir(str(workspace.root), "the repository path")
    return Timing(timezone, user, repo_dir, update, refresh, check, propose)


def _validated(workspace: Workspace, request: Request) -> tuple[Schedule, Project]:
    t = make_timing(workspace, request)
    project = load_project(workspace, request.project)
    if t.refresh is not None and EnvName.staging not in project.environments:
        raise UsageError(
            f"project {project.name} has no staging environment to refresh "
            "(add environments.staging, or pass --no-refresh)"
        )
    schedule = Schedule(
        project.name,
        t.timezone,
        t.user,
        t.repo_dir,
        t.update,
        t.refresh,
        t.check,
        t.propose,
        proposals=proposes(project),
    )
    if not schedule.jobs():
        raise UsageError(
            f"nothing to schedule for {project.name}: --no-update, --no-refresh and --no-checks "
            "given, and its care plan has no major_proposals for the propose job"
        )
    return schedule, project


def proposes(project: Project) -> bool:
    """Whether ``project``'s care plan asks for major-upgrade proposals (the propose job)."""
    return project.care is not None and project.care.major_proposals


def make_plan(
    workspace: Workspace,
    request: Request,
    year: int,
    home: Path | None = None,
    output: Path | None = None,
) -> Plan:
    """The schedule and its files; ``output`` is where they will go (for the include line)."""
    schedule, project = _validated(workspace, request)
    needs = needs_of(project, workspace.root, home or Path.home(), schedule.user)
    location = in_repository(workspace, output) if output is not None else None
    return render(schedule, needs, year, location)


def in_repository(workspace: Workspace, output: Path) -> str | None:
    """``output`` as the repository sees it (for include lines), or None if outside it."""
    if output.resolve().is_relative_to(workspace.root):
        return output.resolve().relative_to(workspace.root).as_posix()
    return None
