"""A minor update over a fleet, planned by server: staging servers first, then production in waves.

A PHP build belongs to a server (every site on it runs the one build), so a
fleet's update moves servers, not projects. The plan is a value made from
the sites (which project's environment runs on which server, at which pinned
build) and the newest build of each line on offer:

- stage 1, ``staging``: every server with no production site on it (staging
  and dev servers), each site on it smoke-checked;
- then the production servers in waves: a ``canary`` wave of one server (the
  one with the fewest sites: the smallest blast radius), then waves that
  double (2, 4, 8 ...), or are ``wave_size`` servers each when it is given;
- a server whose sites all run the newest build is left out, and said so.

    >>> sites = [Site("demo", "staging", "staging.demo.lab", "s1", "8.2", OLD),
    ...          Site("demo", "production", "www.demo.lab", "p1", "8.2", OLD),
    ...          Site("blog", "production", "www.blog.lab", "p2", "8.2", OLD)]
    >>> [(w.name, [s.server for s in w.servers]) for w in plan(sites, {"8.2": NEW}).waves]
    [('staging', ['s1']), ('canary', ['p1']), ('wave 2', ['p2'])]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from upkeep.errors import UsageError
from upkeep.inventory.crosscheck import endpoint
from upkeep.inventory.model import Host, Project
from upkeep.inventory.pins import Pins
from upkeep.inventory.servers import Fleet
from upkeep.versions import PhpBuild

OLD, NEW = "8.2.32-1~deb12u1", "8.2.36-1~deb12u1"  # for the examples
STAGING, PRODUCTION = "staging", "production"


@dataclass(frozen=True)
class Site:
    """One environment of one project on one server, at the build its pins say."""

    project: str
    environment: str
    domain: str
    server: str
    line: str
    pinned: str | None  # None: never provisioned

    @property
    def label(self) -> str:
        return f"{self.project}/{self.environment}"

    @classmethod
    def at(
        cls, project: Project, env_name: str, host: Host, pins: Pins, names: Mapping[Any, str]
    ) -> Site:
        """``project``'s ``env_name`` on ``host``, named as servers.yml declares it."""
        environment = project.environment(env_name)
        server = names.get(endpoint(host.address, host.port), host.name)
        pinned = pins.get(env_name).php_build
        return cls(project.name, env_name, environment.domain, server, project.php.line, pinned)


@dataclass(frozen=True)
class ServerMove:
    """One server of the plan: its sites move together from one build to the next."""

    server: str
    stage: str  # staging | production
    line: str
    from_build: str
    to_build: str
    sites: tuple[Site, ...]

    @property
    def projects(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(site.project for site in self.sites))

    def line_text(self) -> str:
        """``lab-production: demo/production (www.demo.lab), PHP 8.2.32-1 → 8.2.36-1``"""
        sites = ", ".join(f"{s.label} ({s.domain})" for s in self.sites)
        return f"{self.server}: {sites}; PHP {self.from_build} → {self.to_build}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "server": self.server,
            "stage": self.stage,
            "line": self.line,
            "from_build": self.from_build,
            "to_build": self.to_build,
            "sites": [
                {"project": s.project, "environment": s.environment, "domain": s.domain}
                for s in self.sites
            ],
        }


@dataclass(frozen=True)
class Wave:
    """Servers moved one after another before the next wave starts."""

    number: int  # 1 is the staging stage (or the canary when no staging server moves)
    name: str  # staging, canary, wave 2, wave 3 ...
    stage: str
    servers: tuple[ServerMove, ...]

    @property
    def projects(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p for server in self.servers for p in server.projects))

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "name": self.name,
            "stage": self.stage,
            "servers": [server.to_dict() for server in self.servers],
        }


@dataclass(frozen=True)
class LeftOut:
    server: str
    why: str


@dataclass(frozen=True)
class FleetPlan:
    waves: tuple[Wave, ...]
    left_out: tuple[LeftOut, ...] = ()

    @property
    def servers(self) -> tuple[ServerMove, ...]:
        return tuple(server for wave in self.waves for server in wave.servers)

    @property
    def empty(self) -> bool:
        return not self.waves

    def wave_of(self, server: str) -> Wave:
        return next(w for w in self.waves if any(s.server == server for s in w.servers))

    def lines(self) -> list[str]:
        """The plan as ``--plan`` prints it: each wave, its servers and their sites.

        >>> plan([Site("demo", "production", "www.demo.lab", "p1", "8.2", NEW)],
        ...      {"8.2": NEW}).lines()
        ['nothing to update: every server runs the newest build of its line', 'left out: p1: every site on it runs PHP 8.2.36-1~deb12u1, the newest']
        """
        lines = []
        if self.empty:
            lines.append("nothing to update: every server runs the newest build of its line")
        for wave in self.waves:
            count = len(wave.servers)
            lines.append(f"{wave.name} ({wave.stage}, {count} server{'s' * (count != 1)}):")
            lines.extend(f"  {server.line_text()}" for server in wave.servers)
        lines.extend(f"left out: {out.server}: {out.why}" for out in self.left_out)
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "waves": [wave.to_dict() for wave in self.waves],
            "left_out": [{"server": o.server, "why": o.why} for o in self.left_out],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FleetPlan:
        """The plan a journal kept, so a resumed run goes on with the same waves."""
        waves = []
        for wave in data["waves"]:
            servers = tuple(_move_from_dict(server) for server in wave["servers"])
            waves.append(Wave(wave["number"], wave["name"], wave["stage"], servers))
        left = tuple(LeftOut(o["server"], o["why"]) for o in data.get("left_out", ()))
        return cls(tuple(waves), left)


def _move_from_dict(data: Mapping[str, Any]) -> ServerMove:
    sites = tuple(
        Site(
            x["project"],
            x["environment"],
            x["domain"],
            data["server"],
            data["line"],
            data["from_build"],
        )
        for x in data["sites"]
    )
    return ServerMove(
        data["server"], data["stage"], data["line"], data["from_build"], data["to_build"], sites
    )


def sites_of(projects: Sequence[Project], pins: Mapping[str, Pins], fleet: Fleet) -> list[Site]:
    """Every environment of the projects as a site on its server (the declared name, where
    servers.yml declares it). An environment on several servers is refused: its pin would
    move them all at once, which is no longer one server at a time."""
    names = fleet.by_endpoint()
    sites = []
    for project in projects:
        for env_name, environment in project.environments.items():
            if len(environment.hosts) != 1:
                shown = ", ".join(host.name for host in environment.hosts)
                raise UsageError(
                    f"{project.name} {env_name} runs on {len(environment.hosts)} servers "
                    f"({shown}): a fleet update moves one server at a time; update it alone "
                    f"with `upkeep update minor {project.name}`"
                )
            sites.append(
                Site.at(project, str(env_name), environment.hosts[0], pins[project.name], names)
            )
    return sites


def neighbours(
    project: Project, others: Sequence[Project], pins: Mapping[str, Pins], fleet: Fleet
) -> list[Site]:
    """Other projects' provisioned sites on a server of ``project``: a one-project update
    would move their PHP build too, behind their pins' back.

        >>> [site.label for site in neighbours(demo, [demo, wordpress], pins, fleet)]  # doctest: +SKIP
        ['wordpress/dev', 'wordpress/staging']
    """
    names = fleet.by_endpoint()
    mine = {endpoint(h.address, h.port) for _, h in project.hosts()}
    return [
        Site.at(other, str(env_name), host, pins[other.name], names)
        for other in others
        if other.name != project.name
        for env_name, host in other.hosts()
        if pins[other.name].get(str(env_name)).php_build
        and endpoint(host.address, host.port) in mine
    ]


def plan(
    sites: Iterable[Site], offered: Mapping[str, str | None], wave_size: int | None = None
) -> FleetPlan:
    """The waves that move every server behind the newest build of its line (see the module).

    ``offered`` is the newest build of each line (None: nothing newer than the pins).
    A server whose sites disagree on the line or the pinned build is refused: the
    inventory check says which file to fix.
    """
    if wave_size is not None and wave_size < 1:
        raise UsageError(f"--wave-size {wave_size}: a wave needs at least one server")
    by_server: dict[str, list[Site]] = {}
    for site in sites:
        by_server.setdefault(site.server, []).append(site)
    moves, left = [], []
    for server, on_it in sorted(by_server.items()):
        move, why = _move(server, tuple(on_it), offered)
        if move is not None:
            moves.append(move)
        else:
            left.append(LeftOut(server, why))
    staging = [m for m in moves if m.stage == STAGING]
    production = sorted((m for m in moves if m.stage == PRODUCTION), key=_canary_first)
    waves: list[Wave] = []
    if staging:
        waves.append(Wave(1, STAGING, STAGING, tuple(staging)))
    for index, group in enumerate(_waves(production, wave_size)):
        name = "canary" if index == 0 else f"wave {index + 1}"
        waves.append(Wave(len(waves) + 1, name, PRODUCTION, tuple(group)))
    return FleetPlan(tuple(waves), tuple(left))


def _canary_first(move: ServerMove) -> tuple[int, str]:
    return len(move.sites), move.server  # the fewest sites first: a canary risks the least


def _waves(servers: Sequence[ServerMove], size: int | None) -> list[list[ServerMove]]:
    """One server, then doubling (or ``size`` each).

    >>> [len(w) for w in _waves(list(range(10)), None)], [len(w) for w in _waves(list(range(5)), 3)]
    ([1, 2, 4, 3], [1, 3, 1])
    """
    groups, start, next_size = [], 0, 1
    while start < len(servers):
        groups.append(list(servers[start : start + next_size]))
        start += next_size
        next_size = size if size is not None else next_size * 2
    return groups


def _move(
    server: str, sites: tuple[Site, ...], offered: Mapping[str, str | None]
) -> tuple[ServerMove | None, str]:
    lines = sorted({site.line for site in sites})
    if len(lines) > 1:
        raise UsageError(
            f"server {server} has sites on PHP {' and '.join(lines)}, and a server runs one "
            "build: run `upkeep inventory check` and align them"
        )
    line = lines[0]
    unpinned = [site.label for site in sites if site.pinned is None]
    if unpinned:
        return None, f"{', '.join(unpinned)} never provisioned (no PHP build pinned)"
    builds = sorted({str(site.pinned) for site in sites})
    if len(builds) > 1:
        raise UsageError(
            f"server {server} has sites pinned at {' and '.join(builds)}, and a server runs "
            "one build: run `upkeep inventory check` and align them"
        )
    newest = offered.get(line)
    if newest is None or PhpBuild.parse(newest) <= PhpBuild.parse(builds[0]):
        return None, f"every site on it runs PHP {builds[0]}, the newest"
    stage = PRODUCTION if any(site.environment == PRODUCTION for site in sites) else STAGING
    return ServerMove(server, stage, line, builds[0], newest, sites), ""
