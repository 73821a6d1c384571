"""PROJECT mode: the code production runs, and the PHP line it runs on, from the inventory.

The current line is the X.Y of production's pinned PHP build, else the
project's declared ``php.line``; the code is production's deployed ref (the
pin, else the inventory's ref), fetched with gitpython into
``<workspace>/.cache/estimate/<project>`` — cloned once, fetched afterwards,
checked out detached.

    >>> target = ProjectSource("demo", Path("/tmp/x"), PhpLine(8, 2), "main", "0123456789ab")
    >>> target.label
    'demo@0123456789ab'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import git

from upkeep.errors import UsageError
from upkeep.estimate.errors import BadVersion, SourceUnavailable
from upkeep.estimate.versions import PhpLine
from upkeep.workspace import Workspace


@dataclass(frozen=True)
class ProjectSource:
    project: str
    checkout: Path
    current: PhpLine
    ref: str  # as pinned or declared
    commit: str  # what was checked out (12 hex digits)

    @property
    def label(self) -> str:
        return f"{self.project}@{self.commit}"


def production_target(workspace: Workspace, name: str) -> tuple[str, PhpLine, str]:
    """(repository, current PHP line, ref) of the project's production environment."""
    from upkeep.inventory import load_project
    from upkeep.inventory.pins import load_pins

    project = load_project(workspace, name)
    try:
        environment = project.environment("production")
    except (KeyError, ValueError, UsageError) as error:
        raise SourceUnavailable(f"project {name} has no production environment ({error})") from None
    pin = load_pins(workspace, name).environments.get("production")
    try:
        if pin is not None and pin.php_build:
            current = PhpLine.from_build(pin.php_build)
        else:
            current = PhpLine.parse(str(project.php.line))
    except BadVersion as error:
        raise SourceUnavailable(f"project {name}: {error}") from None
    ref = (pin.ref if pin is not None and pin.ref else None) or environment.ref
    return project.app.repository, current, str(ref)


def fetch_checkout(repository: str, ref: str, destination: Path) -> str:
    """Clone once, fetch afterwards, check ``ref`` out detached; returns the commit."""
    try:
        if (destination / ".git").is_dir():
            repo = git.Repo(destination)
            origin = repo.remote("origin")
            if next(iter(origin.urls), None) != repository:
                origin.set_url(repository)
            origin.fetch(prune=True, tags=True, force=True)
        else:
            destination.parent.mkdir(parents=True, exist_ok=True)
            repo = git.Repo.clone_from(repository, destination, no_checkout=True)
        commit = _resolve(repo, ref)
        repo.git.checkout("--force", "--detach", commit)
        repo.git.clean("-ffdx")  # the cache is ours: leftovers would skew the scan
    except git.GitCommandError as error:
        detail = " ".join(str(error.stderr or error).split())[:300]
        raise SourceUnavailable(
            f"cannot fetch {ref!r} from {repository}: {detail} "
            "(check the project's app.repository and the deployed ref)"
        ) from None
    except (git.InvalidGitRepositoryError, git.NoSuchPathError, OSError) as error:
        raise SourceUnavailable(
            f"cannot use {destination} as the checkout of {repository}: {error} "
            "(delete the directory to start over)"
        ) from None
    return commit[:12]


def _resolve(repo: git.Repo, ref: str) -> str:
    for candidate in (f"refs/remotes/origin/{ref}", f"refs/tags/{ref}", ref):
        try:
            return str(repo.git.rev_parse("--verify", "--quiet", f"{candidate}^{{commit}}"))
        except git.GitCommandError:
            continue
    raise SourceUnavailable(f"ref {ref!r} is not a branch, tag or commit of the repository")


def project_source(workspace: Workspace, name: str) -> ProjectSource:
    repository, current, ref = production_target(workspace, name)
    checkout = workspace.cache / "estimate" / name
    commit = fetch_checkout(repository, ref, checkout)
    return ProjectSource(name, checkout, current, ref, commit)
