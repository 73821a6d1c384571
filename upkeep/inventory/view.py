"""The resolved project as plain data, pins merged in, secrets as set/missing only.

The one value both ``upkeep inventory show`` renderers (text and JSON) print.

    >>> from upkeep.inventory.pins import Pins
    >>> view = as_dict(project, Pins(project="demo"))  # doctest: +SKIP
    >>> view["database"]["password"]  # doctest: +SKIP
    '<secret demo_db_password: missing>'
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from upkeep import credentials
from upkeep.inventory.checks import effective
from upkeep.inventory.model import Environment, Host, Project
from upkeep.inventory.pins import Pins


def secret_text(ref: credentials.SecretRef) -> str:
    return f"<secret {ref.name}: {credentials.status(ref)}>"


def as_dict(project: Project, pins: Pins) -> dict[str, Any]:
    app, php, db = project.app, project.php, project.database
    return {
        "project": project.name,
        "source": str(project.source),
        "labels": dict(project.labels),
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
                "checks": _checks(project, env),
            }
            for name, env in project.environments.items()
        },
        "sla": _section(project.sla) if project.sla is not None else None,
        "alerts": _section(project.alerts),
        "notify": _section(project.notify),
        "maintenance": [_section(window) for window in project.maintenance],
        # The plan's parts filled in, the project's own over them.
        "care": _section(project.care) if project.care is not None else None,
    }


def _checks(project: Project, environment: Environment) -> list[str]:
    """The checks `upkeep check` runs in this environment, defaults merged in."""
    checks = effective(
        project.checks,
        environment.checks,
        health_path=project.app.health_path,
        php_line=project.php.line,
        https=environment.tls != "none",
    )
    return [f"{check.name} ({check.kind}, {check.priority})" for check in checks]


def _section(model: BaseModel) -> Any:
    """A section as YAML would write it, each secret as its name and whether it is set."""
    return _secrets_named(model.model_dump(mode="json", by_alias=True, exclude_none=True))


def _secrets_named(value: Any) -> Any:
    if isinstance(value, dict):
        if list(value) == ["secret"] and isinstance(value["secret"], str):
            return secret_text(credentials.SecretRef(secret=value["secret"]))
        return {key: _secrets_named(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_secrets_named(item) for item in value]
    return value


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
