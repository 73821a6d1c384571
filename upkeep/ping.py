"""Reach every host of a project over SSH and read who answers: a value, rendered by the CLI.

Each host is reached with pyinfra (checked host keys), and a few facts are read
with sudo: the host's name, its kernel and the user sudo runs as.

    >>> reply = HostReply("production", "web1", "10.0.0.5:22", error="connection refused")
    >>> PingResult("demo", 1.234, (reply,)).to_dict()["hosts"][0]["error"], reply.ok
    ('connection refused', False)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pyinfra.facts.server import Hostname, Kernel, User

from upkeep.inventory import Project
from upkeep.runner import Runner, Target

FACTS = (("hostname", Hostname), ("kernel", Kernel), ("user", User))


@dataclass(frozen=True)
class HostReply:
    """One host: reached (with its facts) or not (with why)."""

    environment: str
    host: str
    address: str  # address:port, as dialled
    facts: tuple[tuple[str, Any], ...] = ()  # (name, value), in FACTS' order
    error: str | None = None  # why it was not reached

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        where = {"environment": self.environment, "host": self.host, "address": self.address}
        said = {"error": self.error} if self.error else dict(self.facts)
        return {**where, "ok": self.ok, **said}


@dataclass(frozen=True)
class PingResult:
    project: str
    seconds: float
    hosts: tuple[HostReply, ...]

    @property
    def ok(self) -> bool:
        return all(host.ok for host in self.hosts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "seconds": round(self.seconds, 2),
            "hosts": [host.to_dict() for host in self.hosts],
        }


def targets_of(project: Project, environments: Sequence[str] = ()) -> list[Target]:
    """The runner targets of a project: the named environments' hosts, or every one's."""
    envs = (
        [project.environment(name) for name in environments]
        if environments
        else list(project.environments.values())
    )
    return [Target(str(env.name), host) for env in envs for host in env.hosts]


def ping(project: Project, environments: Sequence[str] = ()) -> PingResult:
    """Reach ``project``'s hosts (the named environments' only, if any); a host not reached
    is a reply too."""
    targets = targets_of(project, environments)
    started = time.monotonic()
    with Runner(targets, require_all=False) as runner:
        failures: dict[str, str] = {}
        for lost in runner.unreachable:
            failures.setdefault(lost.host, lost.reason)
        reached = {t.name for t in targets} - set(failures)
        facts = {name: runner.facts(fact) for name, fact in FACTS} if reached else {}
    seconds = time.monotonic() - started
    return PingResult(
        project.name,
        seconds,
        tuple(
            HostReply(
                target.environment,
                target.name,
                f"{target.host.address}:{target.host.port}",
                facts=tuple((name, found.get(target.name)) for name, found in facts.items()),
                error=failures.get(target.name),
            )
            for target in targets
        ),
    )
