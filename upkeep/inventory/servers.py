"""The fleet file: every server declared once, referred to by name from the projects.

``inventories/servers.yml`` (one file, beside the projects)::

    servers:
      web-1:
        address: 203.0.113.10
        user: upkeep
        key: ~/.ssh/upkeep
        known_hosts: ~/.ssh/known_hosts
        labels: {role: web, dc: fra1}

A project's environment then says ``hosts: [web-1]``, and the loader turns the
name into the same Host an inline entry (name, address, ...) gives, so the rest
of upkeep never knows which form was written.

    >>> fleet = parse("servers:\\n  web-1: {address: 192.0.2.10, labels: {dc: fra1}}\\n",
    ...               Path("inventories/servers.yml"))
    >>> fleet.hosts()["web-1"].address, dict(fleet.servers["web-1"].labels)
    ('192.0.2.10', {'dc': 'fra1'})
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from upkeep.inventory import yamldoc
from upkeep.inventory.base import Model
from upkeep.inventory.beside import Beside, named_like, parse_beside, read_beside
from upkeep.inventory.crosscheck import Endpoint, endpoint, shown_endpoint
from upkeep.inventory.files import SERVERS_FILE, display
from upkeep.inventory.model import Connection, FrozenMap, Host, HostName, Labels
from upkeep.inventory.problems import Problem, from_validation


class Server(Connection):
    """One server: how to reach it, and its labels (role: web, dc: fra1)."""

    labels: Labels = FrozenMap({})

    def host(self, name: str) -> Host:
        """The Host a project's environment gets when it names this server."""
        return Host(name=name, **self.model_dump(exclude={"labels"}))


class ServersFile(Model):
    """The file's shape, for its problem lines."""

    servers: Mapping[HostName, Server]


@dataclass(frozen=True)
class Fleet:
    """The declared servers: the good entries by name, and the names with problems."""

    source: Path
    servers: Mapping[str, Server] = field(default_factory=dict)
    broken: frozenset[str] = frozenset()
    lines: Mapping[str, int] = field(default_factory=dict)  # where each name is declared
    problems: tuple[Problem, ...] = ()

    def hosts(self) -> dict[str, Host | None]:
        """Each declared name as a Host, None where its entry has problems."""
        hosts: dict[str, Host | None] = {name: None for name in self.broken}
        hosts.update({name: server.host(name) for name, server in self.servers.items()})
        return hosts

    def endpoints(self) -> dict[str, Endpoint]:
        """The address:port of each declared name."""
        return {name: endpoint(s.address, s.port) for name, s in self.servers.items()}

    def by_endpoint(self) -> dict[Endpoint, str]:
        """The declared name of each address:port."""
        return {found: name for name, found in self.endpoints().items()}

    def where(self, name: str) -> str:
        """``inventories/servers.yml:12``: where ``name`` is declared."""
        line = self.lines.get(name)
        return f"{display(self.source)}:{line}" if line else display(self.source)


def servers_path(inventories: Path) -> Path:
    return inventories / SERVERS_FILE


def is_servers_file(path: Path) -> bool:
    """Whether ``path`` is named like the fleet file (servers.yml, or servers.yaml by mistake)."""
    return named_like(path, SERVERS_FILE)


_EXPECTED = "expected 'servers:' and a server per name"


def load_fleet(inventories: Path) -> Fleet:
    """The servers declared in ``inventories``; an empty fleet when there is no servers.yml."""
    path = servers_path(inventories)
    return _fleet(path, read_beside(path, "fleet", _EXPECTED))


def parse(text: str, path: Path) -> Fleet:
    """The fleet in ``text`` (the file at ``path``), each problem with its line."""
    return _fleet(path, parse_beside(text, path, _EXPECTED))


def _fleet(path: Path, found: Beside) -> Fleet:
    data, doc, problems = found.data, found.doc, list(found.problems)
    if data is None:
        return Fleet(path, problems=tuple(problems))
    shown = display(path)
    try:
        ServersFile.model_validate(data, context={"base_dir": path.parent.absolute()})
    except ValidationError as error:
        problems += from_validation(shown, doc, error, ServersFile)
    entries = data.get("servers")
    entries = entries if isinstance(entries, dict) else {}
    servers, broken = {}, set()
    for name, entry in entries.items():
        server = _server(entry, path)
        if server is None:
            broken.add(name)
        else:
            servers[name] = server
    problems += _repeated_addresses(shown, doc, entries)
    lines = {name: doc.line_of(("servers", name)) or 0 for name in entries}
    return Fleet(path, servers, frozenset(broken), lines, tuple(problems))


def _server(entry: Any, path: Path) -> Server | None:
    try:
        return Server.model_validate(entry, context={"base_dir": path.parent.absolute()})
    except ValidationError:
        return None  # reported with its line by the whole file's validation


def _repeated_addresses(
    shown: str, doc: yamldoc.Document, entries: dict[str, Any]
) -> list[Problem]:
    """Two names for one address:port would let two plans change one server at once."""
    problems = []
    seen: dict[Endpoint, str] = {}
    for name, entry in entries.items():
        if not isinstance(entry, dict):
            continue
        address, port = entry.get("address"), entry.get("port", 22)
        if not isinstance(address, str) or not isinstance(port, int):
            continue
        key = endpoint(address, port)
        if key in seen:
            path = ("servers", name, "address")
            problems.append(
                Problem(
                    shown,
                    doc.line_of(path),
                    path,
                    f"address {shown_endpoint(address, port)} is already server {seen[key]!r} "
                    f"(line {doc.line_of(('servers', seen[key]))}; declare each server once)",
                )
            )
        else:
            seen[key] = name
    return problems
