"""The resolved project as plain data, pins merged in, secrets as set/missing only.

The one value both ``upkeep inventory show`` renderers (text and JSON) print.

    >>> from upkeep.inventory.pins import Pins
    >>> view = as_dict(project, Pins(project="demo"))  # doctest: +SKIP
    >>> view["database"]["password"]  # doctest: +SKIP
    '<secret demo_db_password: missing>'
"""

from __future__ import annotations

from typing import Any

from upkeep import secrets
from upkeep.inventory.model import Host, Project
from upkeep.inventory.pins import Pins


def secret_text(ref: secrets.SecretRef) -> str:
    return f"<secret {ref.name}: {secrets.status(ref)}>"


def as_dict(project: Project, pins: Pins) -> dict[str, Any]:
    app, php, db = project.app, project.php, project.database
    return {
        "project": project.name,
        "source": str(project.source),
        "app": {
            "kind": app.kind,
            "repository": app.repository,
            "docroot": app.docroot,
            "health_path": app.health_path,
            "keep_releases": app.keep_releases,
            "commands": list(app.commands),
        },
        "php": {"line": php.line, "extensions": list(php.extensions), "ini": dict(php.ini)},
        "database": {
            "engine": db.engine,
            "name": db.name,
            "user": db.user,
            "password": secret_text(db.password),
            "dump_user": db.dump_user,
            "dump_password": secret_text(db.dump_password),
        },
        "shared_paths": list(project.shared_paths),
        "environments": {
            str(name): {
                "domain": env.domain,
                "tls": env.tls,
                "ref": env.ref,
                "pinned": {
                    "ref": pins.get(name).ref,
                    "php_build": pins.get(name).php_build,
                    "updated": pins.get(name).updated,
                },
                "hosts": [_host(host) for host in env.hosts],
            }
            for name, env in project.environments.items()
        },
    }


def _host(host: Host) -> dict[str, Any]:
    return {
        "name": host.name,
        "address": host.address,
        "port": host.port,
        "user": host.user,
        "sudo": host.sudo,
        "key": str(host.key) if host.key else None,
        "known_hosts": str(host.known_hosts) if host.known_hosts else None,
    }
