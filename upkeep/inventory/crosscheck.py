"""Rules that span several keys: unique hosts, unique addresses, name = file name, one
database per environment on a shared host, and the monitoring sections' own (mail needs a server, windows name existing environments).

They read the raw YAML data, not the model, so they still report when some
other part of the file is broken: an operator sees every problem in one go.
Anything of an unexpected shape is skipped here; the model reports it.

    >>> data = {"project": "demo", "environments": {"production": {"hosts": [
    ...     {"name": "web", "address": "10.0.0.1"}, {"name": "web", "address": "10.0.0.1"}]}}}
    >>> for path, message in check("demo", data):
    ...     print(path[-1], message[:42])
    name host name 'web' is already used at environ
    address address 10.0.0.1:22 is already used at env
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from typing import Any

from upkeep.inventory import alerts
from upkeep.inventory.problems import format_path
from upkeep.inventory.yamldoc import Path

Endpoint = tuple[str, int]


def check(
    stem: str, data: Any, servers: Mapping[str, Endpoint] | None = None
) -> list[tuple[Path, str]]:
    """Problems as (key path, message); ``stem`` is the file name without suffix.

    ``servers`` gives the address and port of each server declared in
    servers.yml, for hosts the project names instead of writing them inline.
    """
    if not isinstance(data, dict):
        return []
    servers = servers or {}
    return [
        *_name_matches_file(stem, data),
        *_hosts(data),
        *_named_twice(data),
        *_domains(data),
        *_shared(data),
        *_databases(data, servers),
        *alerts.crosscheck(data),
    ]


def _name_matches_file(stem: str, data: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    name = data.get("project")
    if isinstance(name, str) and name != stem:
        yield (
            ("project",),
            f"{name!r:.60} does not match the file name {stem!r} (set project: {stem}, "
            f"or rename the file to {name:.60}.yml)",
        )


def _environments(data: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    environments = data.get("environments")
    if isinstance(environments, dict):
        for name, environment in environments.items():
            if isinstance(environment, dict):
                yield name, environment


def _hosts(data: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    names: dict[str, Path] = {}
    for env_name, environment in _environments(data):
        hosts = environment.get("hosts")
        if not isinstance(hosts, list):
            continue
        endpoints: dict[tuple[str, int], Path] = {}
        for index, host in enumerate(hosts):
            if not isinstance(host, dict):
                continue
            path: Path = ("environments", env_name, "hosts", index)
            name = host.get("name")
            if isinstance(name, str):
                if name in names:
                    yield (
                        (*path, "name"),
                        f"host name {name!r:.60} is already used at {format_path(names[name])} "
                        "(give each host its own name)",
                    )
                else:
                    names[name] = path
            address, port = host.get("address"), host.get("port", 22)
            if isinstance(address, str) and isinstance(port, int):
                key = endpoint(address, port)
                if key in endpoints:
                    yield (
                        (*path, "address"),
                        f"address {shown_endpoint(address, port)} is already used at "
                        f"{format_path(endpoints[key])} in this environment "
                        "(remove the duplicate or change the port)",
                    )
                else:
                    endpoints[key] = path


def _named_twice(data: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    """A declared server named twice in one environment."""
    for env_name, environment in _environments(data):
        hosts = environment.get("hosts")
        names: dict[str, int] = {}
        for index, host in enumerate(hosts if isinstance(hosts, list) else ()):
            if isinstance(host, str) and names.setdefault(host, index) != index:
                yield (
                    ("environments", env_name, "hosts", index),
                    f"server {host!r:.60} is already listed at "
                    f"{format_path(('environments', env_name, 'hosts', names[host]))} "
                    "(list each server once)",
                )


def endpoint(address: str, port: int) -> Endpoint:
    """One server's address and port, however the address is spelled.

    >>> endpoint("2001:DB8::0:1", 22), endpoint("Web.example", 22)
    (('2001:db8::1', 22), ('web.example', 22))
    """
    try:
        return str(ipaddress.ip_address(address)), port
    except ValueError:
        return address.lower(), port


def shown_endpoint(address: str, port: int) -> str:
    """``10.0.0.1:22``, ``[2001:db8::1]:22``."""
    return f"[{address:.60}]:{port}" if ":" in address else f"{address:.60}:{port}"


def _domains(data: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    seen: dict[str, str] = {}
    for env_name, environment in _environments(data):
        domain = environment.get("domain")
        if not isinstance(domain, str):
            continue
        if domain in seen:
            yield (
                ("environments", env_name, "domain"),
                f"{domain!r:.60} is already the domain of {seen[domain]} "
                "(each environment needs its own domain)",
            )
        else:
            seen[domain] = env_name


def _shared(data: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    paths = data.get("shared_paths")
    if not isinstance(paths, list):
        return
    seen: list[str] = []
    for index, path in enumerate(paths):
        if not isinstance(path, str):
            continue
        for earlier in seen:
            if path == earlier or path.startswith(earlier + "/") or earlier.startswith(path + "/"):
                yield (
                    ("shared_paths", index),
                    f"{path!r:.60} overlaps {earlier!r:.60} (shared paths must not "
                    "contain each other; keep the outer one)",
                )
                break
        seen.append(path)


DATABASE_KEYS = ("name", "user", "dump_user")


def _databases(data: dict[str, Any], servers: Mapping[str, Endpoint]) -> Iterator[tuple[Path, str]]:
    """Environments on one host never share a database or its users.

    Site directories, users and pools are named per environment; the database
    is the project's unless an environment names its own, so two environments
    on one host would refresh, restore and update each other's data.
    """
    project_db = data.get("database")
    project_db = project_db if isinstance(project_db, dict) else {}
    seen: dict[tuple[str, str, str], str] = {}  # (address, key, value) -> environment
    # Production keeps its names; the environment beside it is the one asked to change.
    for env_name, environment in sorted(_environments(data), key=lambda e: e[0] != "production"):
        own = environment.get("database")
        own = own if isinstance(own, dict) else {}
        names = {key: own.get(key, project_db.get(key)) for key in DATABASE_KEYS}
        clashes: dict[str, list[str]] = {}
        for address in _addresses(environment, servers):
            for key, value in names.items():
                if not isinstance(value, str):
                    continue
                other = seen.setdefault((address, key, value), env_name)
                if other != env_name:
                    clashes.setdefault(f"{other} on {address}", []).append(f"{key} {value}")
        for where, shared in clashes.items():
            yield (
                ("environments", env_name),
                f"shares host and database with {where} ({', '.join(shared)}): give "
                f"{env_name} its own under environments.{env_name}.database (for example "
                f"name: {_suffixed(names['name'], env_name)}, "
                f"user: {_suffixed(names['user'], env_name)}, "
                f"dump_user: {_suffixed(names['dump_user'], env_name)})",
            )


def _addresses(environment: dict[str, Any], servers: Mapping[str, Endpoint]) -> set[str]:
    """The SSH endpoints of an environment's hosts (one address may front several by port),
    inline or named."""
    hosts = environment.get("hosts")
    endpoints = [
        endpoint(host["address"], host.get("port", 22))
        if isinstance(host, dict) and isinstance(host.get("address"), str)
        else servers.get(host)
        if isinstance(host, str)
        else None
        for host in (hosts if isinstance(hosts, list) else ())
    ]
    return {"{}:{}".format(*found) for found in endpoints if found is not None}


def _suffixed(value: object, env_name: str) -> str:
    return f"{value}_{env_name}" if isinstance(value, str) else f"<name>_{env_name}"
