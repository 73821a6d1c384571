"""Which sites live on which server: the fleet seen by server, for `inventory show --servers`.

Declared servers come first, in servers.yml's order (an idle one too, with no
sites), then hosts written inline in a project, by address and port.

    >>> from pathlib import Path
    >>> from upkeep.inventory.servers import Fleet
    >>> by_server(Fleet(Path("inventories/servers.yml")), [])
    []
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from upkeep.inventory.crosscheck import Endpoint, endpoint
from upkeep.inventory.model import Project
from upkeep.inventory.servers import Fleet


@dataclass(frozen=True)
class SiteOnServer:
    """One environment of one project, on this server."""

    project: str
    environment: str
    domain: str
    labels: Mapping[str, str]  # the project's

    @property
    def label(self) -> str:
        return f"{self.project}/{self.environment}"


@dataclass(frozen=True)
class ServerSites:
    name: str
    address: str
    port: int
    declared: bool  # in servers.yml; else written inline in a project
    labels: Mapping[str, str]
    sites: tuple[SiteOnServer, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "address": self.address,
            "port": self.port,
            "declared": self.declared,
            "labels": dict(self.labels),
            "sites": [
                {
                    "project": site.project,
                    "environment": site.environment,
                    "domain": site.domain,
                    "labels": dict(site.labels),
                }
                for site in self.sites
            ],
        }


def by_server(fleet: Fleet, projects: Sequence[Project]) -> list[ServerSites]:
    """Every server with the sites on it: declared ones first, then inline hosts."""
    sites: dict[Endpoint, list[SiteOnServer]] = {}
    inline: dict[Endpoint, tuple[str, str, int]] = {}
    for project in sorted(projects, key=lambda p: p.name):
        for env_name, host in project.hosts():
            key = endpoint(host.address, host.port)
            domain = project.environment(env_name).domain
            site = SiteOnServer(project.name, str(env_name), domain, project.labels)
            sites.setdefault(key, []).append(site)
            inline.setdefault(key, (host.name, host.address, host.port))
    declared = [
        ServerSites(
            name,
            server.address,
            server.port,
            True,
            server.labels,
            tuple(sites.pop(endpoint(server.address, server.port), ())),
        )
        for name, server in fleet.servers.items()
    ]
    rest = [ServerSites(*inline[key], False, {}, tuple(on_it)) for key, on_it in sites.items()]
    return declared + rest


def table_rows(servers: Sequence[ServerSites]) -> list[tuple[str, str, str, str]]:
    """One row per server: name, address:port, labels, its sites.

    >>> row = ServerSites("web-1", "192.0.2.10", 22, True, {"dc": "fra1"},
    ...                   (SiteOnServer("shop", "production", "www.shop.example", {}),))
    >>> table_rows([row])
    [('web-1', '192.0.2.10:22', 'dc=fra1', 'shop/production (www.shop.example)')]
    """
    return [
        (
            server.name if server.declared else f"{server.name} (inline)",
            f"{server.address}:{server.port}",
            ",".join(f"{key}={value}" for key, value in server.labels.items()) or "-",
            ", ".join(f"{site.label} ({site.domain})" for site in server.sites) or "(none)",
        )
        for server in servers
    ]
