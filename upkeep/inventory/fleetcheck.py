"""Rules across projects, for the fleet as a whole: what no single file can see.

`upkeep inventory check` runs them over every project that loaded, with the
servers of servers.yml and the projects' pins:

- two projects that pin different PHP builds, or ask for different PHP lines,
  on one server (a server runs one PHP build for every site on it);
- two sites with one domain;
- two projects on one server with one database name or database user (one
  site's refresh or restore would overwrite the other's data);
- a host written inline whose address:port is a declared server's, or another
  project's inline host (a server is declared once, then named).

A site on a server nobody declared is the loader's own problem (the name does
not resolve). Each problem is one line, at the file and line to change.

    >>> check(Fleet(Path("inventories/servers.yml")), [])
    []
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from upkeep.inventory import pins, yamldoc
from upkeep.inventory.crosscheck import DATABASE_KEYS, Endpoint, endpoint, shown_endpoint
from upkeep.inventory.files import SERVERS_FILE, display, present, read_text
from upkeep.inventory.model import Host, Project
from upkeep.inventory.problems import Problem
from upkeep.inventory.servers import Fleet


@dataclass(frozen=True)
class Loaded:
    """A project that loaded, with the document it came from (for lines)."""

    path: Path
    doc: yamldoc.Document
    project: Project

    @property
    def shown(self) -> str:
        return display(self.path)

    def where(self, key_path: yamldoc.Path) -> str:
        return f"{self.shown}:{self.doc.line_of(key_path)}"


@dataclass(frozen=True)
class Placed:
    """One host entry of one environment: where a site runs."""

    loaded: Loaded
    environment: str
    index: int
    host: Host
    inline: bool  # written as name/address, not a declared server's name

    @property
    def key_path(self) -> yamldoc.Path:
        return ("environments", self.environment, "hosts", self.index)

    @property
    def endpoint(self) -> Endpoint:
        return endpoint(self.host.address, self.host.port)

    @property
    def project(self) -> str:
        return self.loaded.project.name

    @property
    def address(self) -> str:
        """``192.0.2.10:22`` as an operator writes it."""
        return shown_endpoint(self.host.address, self.host.port)


def check(fleet: Fleet, loaded: Sequence[Loaded]) -> list[Problem]:
    """Problems between projects (and with servers.yml); empty when the fleet agrees."""
    placed = [site for each in sorted(loaded, key=lambda x: x.shown) for site in placements(each)]
    return [
        *_domains(loaded),
        *_declared_twice(fleet, placed),
        *_php(fleet, placed),
        *_databases(fleet, placed),
    ]


def placements(loaded: Loaded) -> Iterator[Placed]:
    """Every host entry of the project, with whether it was written inline."""
    for env_name, environment in loaded.project.environments.items():
        raw = _raw_hosts(loaded.doc.data, str(env_name))
        for index, host in enumerate(environment.hosts):
            inline = index < len(raw) and isinstance(raw[index], dict)
            yield Placed(loaded, str(env_name), index, host, inline)


def _raw_hosts(data: Any, env_name: str) -> list[Any]:
    environment = data.get("environments", {}).get(env_name, {})
    hosts = environment.get("hosts") if isinstance(environment, dict) else None
    return hosts if isinstance(hosts, list) else []


def _domains(loaded: Sequence[Loaded]) -> Iterator[Problem]:
    seen: dict[str, tuple[Loaded, str]] = {}
    for each in sorted(loaded, key=lambda x: x.shown):
        for env_name, environment in each.project.environments.items():
            key_path = ("environments", str(env_name), "domain")
            first = seen.setdefault(environment.domain, (each, str(env_name)))
            if first[0] is each:  # the same project's own repeats are crosscheck's
                continue
            other, other_env = first
            yield Problem(
                each.shown,
                each.doc.line_of(key_path),
                key_path,
                f"{environment.domain!r} is already the domain of {other.project.name} "
                f"{other_env} ({other.where(('environments', other_env, 'domain'))}; "
                "each site needs its own domain)",
            )


def _declared_twice(fleet: Fleet, placed: Sequence[Placed]) -> Iterator[Problem]:
    declared = fleet.by_endpoint()
    inline_first: dict[Endpoint, Placed] = {}
    for site in placed:
        if not site.inline:
            continue
        address_path = (*site.key_path, "address")
        name = declared.get(site.endpoint)
        first = inline_first.setdefault(site.endpoint, site)
        if name is not None:
            message = (
                f"address {site.address} is server {name!r} in {fleet.where(name)} "
                f"(name it instead of writing it again: hosts: [{name}])"
            )
        elif first.project != site.project:
            message = (
                f"address {site.address} is also a host of project {first.project} "
                f"({first.loaded.where(first.key_path)}; declare the server once in "
                f"{SERVERS_FILE} and name it from both)"
            )
        else:
            continue
        yield Problem(
            site.loaded.shown, site.loaded.doc.line_of(address_path), address_path, message
        )


def _databases(fleet: Fleet, placed: Sequence[Placed]) -> Iterator[Problem]:
    """One server, one owner per database name and user: MariaDB has one namespace for both."""
    names = fleet.by_endpoint()
    owners: dict[tuple[Endpoint, str, str], Placed] = {}
    reported: set[tuple[str, str]] = set()  # (project, key): once, at its first shared server
    for site in placed:
        database = site.loaded.project.database_of(site.environment)
        for key in DATABASE_KEYS:
            value = getattr(database, key)
            if not value:
                continue
            first = owners.setdefault((site.endpoint, key, value), site)
            # The same project's own repeats are crosscheck's.
            if first.project == site.project or (site.project, key) in reported:
                continue
            reported.add((site.project, key))
            key_path = _database_key_path(site, key)
            yield Problem(
                site.loaded.shown,
                site.loaded.doc.line_of(key_path),
                key_path,
                f"database {key.replace('_', ' ')} {value!r} is also project {first.project}'s "
                f"{first.environment} on server {names.get(site.endpoint, site.host.name)} "
                f"({site.address}), and one server has one of each (give {site.project} its own)",
            )


def _database_key_path(site: Placed, key: str) -> yamldoc.Path:
    """Where the environment's database ``key`` is written: its own section, or the project's."""
    environment = site.loaded.doc.data.get("environments", {}).get(site.environment, {})
    own = environment.get("database") if isinstance(environment, dict) else None
    if isinstance(own, dict) and key in own:
        return ("environments", site.environment, "database", key)
    return ("database", key)


def _php(fleet: Fleet, placed: Sequence[Placed]) -> Iterator[Problem]:
    """One server, one PHP build: every project on it must ask for the same line and build."""
    names = fleet.by_endpoint()
    first_by_server: dict[Endpoint, Placed] = {}
    reported: set[tuple[Endpoint, str]] = set()
    for site in placed:
        first = first_by_server.setdefault(site.endpoint, site)
        if first.project == site.project or (site.endpoint, site.project) in reported:
            continue
        server = f"{names.get(site.endpoint, site.host.name)} ({site.address})"
        mine, theirs = site.loaded.project.php.line, first.loaded.project.php.line
        if mine != theirs:
            reported.add((site.endpoint, site.project))
            key_path = ("php", "line")
            yield Problem(
                site.loaded.shown,
                site.loaded.doc.line_of(key_path),
                key_path,
                f"PHP {mine} here, but project {first.project} asks for PHP {theirs} on server "
                f"{server}, and a server runs one PHP build (align the lines, or move "
                f"{site.environment} to another server)",
            )
            continue
        problem = _pinned_apart(site, first, server)
        if problem is not None:
            reported.add((site.endpoint, site.project))
            yield problem


def _pinned_apart(site: Placed, first: Placed, server: str) -> Problem | None:
    """A problem in ``site``'s pins file when it pins another build than ``first`` on one server."""
    mine, theirs = _pinned(site), _pinned(first)
    if mine is None or theirs is None or mine[0] == theirs[0]:
        return None
    build, shown, line = mine
    key_path = ("environments", site.environment, "php_build")
    return Problem(
        shown,
        line,
        key_path,
        f"{build!r} pinned here, but project {first.project} pins {theirs[0]!r} "
        f"({theirs[1]}:{theirs[2]}) on server {server}, and a server runs one PHP build "
        f"(update both projects to one build)",
    )


def _pinned(site: Placed) -> tuple[str, str, int | None] | None:
    """The environment's pinned build, its pins file and line; None if unpinned or unreadable."""
    path = pins.pins_beside(site.loaded.path)
    if not present(path):
        return None
    text, _ = read_text(path)
    if text is None:
        return None
    shown = display(path)
    found = pins.parse(text, shown, site.project)[0]
    build = found.get(site.environment).php_build if found is not None else None
    if build is None:
        return None
    line = yamldoc.parse(text).line_of(("environments", site.environment, "php_build"))
    return build, shown, line
