"""PROJECT mode: the code production runs, and the PHP line it runs on, from the inventory.

The current line is the X.Y of production's pinned PHP build, else the
project's declared ``php.line``; the code is production's deployed ref (the
pin, else the inventory's ref), taken from the repository with
``upkeep.source`` (cloned once into the cache, fetched afterwards) and unpacked
into ``<workspace>/.cache/estimate/<project>``.

    >>> target = ProjectSource("demo", Path("/tmp/x"), PhpLine(8, 2), "main", "0123456789ab")
    >>> target.label
    'demo@0123456789ab'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from upkeep.errors import UsageError
from upkeep.estimate.errors import BadVersion, SourceUnavailable
from upkeep.estimate.versions import PhpLine
from upkeep.source import Source
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


def project_source(workspace: Workspace, name: str) -> ProjectSource:
    repository, current, ref = production_target(workspace, name)
    try:
        source = Source.open(repository, workspace.cache)
        commit = source.resolve(ref)
        checkout = source.unpack(commit, workspace.cache / "estimate" / name)
    except UsageError as error:
        raise SourceUnavailable(
            f"cannot fetch {ref!r} from {repository}: {error} "
            "(check the project's app.repository and the deployed ref)"
        ) from None
    return ProjectSource(name, checkout, current, ref, commit[:12])
