"""pyinfra's testing habit: facts in, commands out, no server.

>>> host = FakeHost({"ReleaseState": ReleaseInfo()})
>>> commands = run_operation(release_deployed, host, ...)   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyinfra.context import ctx_host


class FakeHost:
    """Answers get_fact from a dict keyed by fact class name; records noops."""

    name = "fakehost"

    def __init__(self, facts: dict[str, Any]) -> None:
        self.facts = facts
        self.noops: list[str] = []
        self.asked: list[tuple[str, dict[str, Any]]] = []

    def get_fact(self, fact: type, *args: Any, **kwargs: Any) -> Any:
        self.asked.append((fact.__name__, kwargs))
        return self.facts[fact.__name__]

    def noop(self, description: str) -> None:
        self.noops.append(description)


def run_operation(op: Callable[..., Any], host: FakeHost, **kwargs: Any) -> list[str]:
    """The commands an operation yields for the given facts."""
    with ctx_host.use(host):
        return [str(command) for command in op._inner(**kwargs)]  # type: ignore[attr-defined]
