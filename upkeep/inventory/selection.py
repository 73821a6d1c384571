"""Which projects a command runs on: one grammar for every command that takes a project.

``PROJECT...`` (one or more names), ``--all``, ``--where KEY=VALUE`` (repeatable;
every clause must match a label of the project or of a server of its selected
environments) and, where a command takes environments, ``ENV...`` / ``--env ENV``.
The README documents it once ("Selecting projects"); the command-line
arguments that spell it are ``upkeep.cli.selection``'s.

    >>> parse_where("client=acme")
    Where(key='client', value='acme')
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from upkeep.errors import UsageError
from upkeep.inventory import identifiers as ids
from upkeep.inventory.crosscheck import endpoint
from upkeep.inventory.loader import load_all, load_project
from upkeep.inventory.model import EnvName, Host, Project
from upkeep.inventory.servers import Fleet, load_fleet
from upkeep.workspace import Workspace

ALL_ENVIRONMENTS = "all"  # as an environment word: every environment of each project


@dataclass(frozen=True)
class Where:
    """One ``--where KEY=VALUE`` clause."""

    key: str
    value: str

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


@dataclass(frozen=True)
class Selection:
    """The selected projects (sorted, each once) and environment words as given."""

    projects: tuple[Project, ...]
    environments: tuple[str, ...] = ()

    @property
    def single(self) -> bool:
        """One project: a command prints and answers --json as it always did for one."""
        return len(self.projects) == 1

    def environments_of(self, project: Project) -> list[str]:
        """The environment names to run on in ``project`` (``all``, or none given: every one)."""
        if not self.environments or ALL_ENVIRONMENTS in self.environments:
            return [str(name) for name in project.environments]
        return list(self.environments)


def split_words(
    words: Sequence[str], known: Collection[str], *, every: bool, where: bool
) -> tuple[list[str], list[str]]:
    """``PROJECT... ENV...`` as (projects, environments).

    With --all every word is an environment. Otherwise the leading words that
    name a project (and not an environment) are projects; without --where the
    first word always is one, so an unknown project is named as such.

    >>> split_words(["shop", "blog", "staging", "qa"], {"shop", "blog"}, every=False, where=False)
    (['shop', 'blog'], ['staging', 'qa'])
    >>> split_words(["staging"], {"shop"}, every=False, where=True)
    ([], ['staging'])
    """
    if every:
        return [], list(words)
    count = 0 if where else min(1, len(words))
    while count < len(words) and words[count] in known and not _names_env(words[count]):
        count += 1
    return list(words[:count]), list(words[count:])


def _names_env(word: str) -> bool:
    return word in EnvName.__members__ or word == ALL_ENVIRONMENTS


def select_projects(
    workspace: Workspace,
    names: Sequence[str],
    *,
    every: bool = False,
    where: Sequence[str] = (),
    environments: Sequence[str] = (),
) -> Selection:
    """The projects named, or all of them, kept where every ``where`` clause matches.

    Refused (UsageError): nothing selected, PROJECT with --all, an unknown
    project or environment, a malformed clause, a selection that matches nothing.
    """
    clauses = [parse_where(text) for text in where]
    if names and every:
        raise UsageError(f"give project names or --all, not both ({', '.join(names)} and --all)")
    if not names and not every and not clauses:
        raise UsageError("no project selected: give PROJECT..., --all or --where KEY=VALUE")
    envs = tuple(dict.fromkeys(environments))
    if names:
        fleet = load_fleet(workspace.inventories)
        found = [load_project(workspace, name) for name in dict.fromkeys(names)]
    else:
        fleet, found = load_all(workspace)
    chosen = sorted(
        (p for p in found if all(_matches(p, clause, fleet, envs) for clause in clauses)),
        key=lambda project: project.name,
    )
    if not chosen:
        asked = " ".join(str(clause) for clause in clauses) or "--all"
        raise UsageError(f"no project matches {asked} in {workspace.inventories}")
    for project in chosen:
        for env in envs:
            if env != ALL_ENVIRONMENTS:
                project.environment(env)  # a UsageError naming the ones it has
    return Selection(tuple(chosen), envs)


def parse_where(text: str) -> Where:
    """``client=acme`` as a clause, or a UsageError saying what is wrong with it.

    >>> parse_where("tier=gold")
    Where(key='tier', value='gold')
    """
    key, equals, value = text.partition("=")
    if not equals:
        raise UsageError(f"--where {text!r:.60}: write KEY=VALUE, e.g. --where client=acme")
    try:
        return Where(ids.label_key(key), ids.label_value(value))
    except ValueError as error:
        raise UsageError(f"--where {text!r:.60}: {error}") from None


def _matches(project: Project, clause: Where, fleet: Fleet, envs: Sequence[str]) -> bool:
    """Whether the project, or a declared server of its selected environments, has the label."""
    if project.labels.get(clause.key) == clause.value:
        return True
    every = not envs or ALL_ENVIRONMENTS in envs
    for name, environment in project.environments.items():
        if every or name in envs:
            for host in environment.hosts:
                if _server_labels(fleet, host).get(clause.key) == clause.value:
                    return True
    return False


def _server_labels(fleet: Fleet, host: Host) -> Mapping[str, str]:
    """The labels of the declared server at ``host``'s address (its name may carry the
    environment's, where one project names the server twice)."""
    name = fleet.by_endpoint().get(endpoint(host.address, host.port))
    server = fleet.servers.get(name) if name is not None else None
    return server.labels if server is not None else {}
