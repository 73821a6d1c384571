"""Which waiting projects may start now: up to N at once and, for a command that changes
servers, never two projects on one server at once.

A project "uses" the servers of its selected environments. A job waits while
any of its servers is busy; a later job whose servers are free starts before
it (nothing waits behind a job that itself waits).

    >>> blog, shop, wiki = Job("blog", {"web1"}), Job("shop", {"web1"}), Job("wiki", {"web2"})
    >>> [job.name for job in startable([blog, shop, wiki], [], limit=3, exclusive=True)]
    ['blog', 'wiki']
    >>> [job.name for job in startable([shop, wiki], [], limit=3, exclusive=False)]
    ['shop', 'wiki']
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Job:
    """One project's run: its name and the servers it uses (any hashable naming a server)."""

    name: str
    servers: frozenset[object] = field(default_factory=frozenset)

    def __init__(self, name: str, servers: Collection[object] = ()) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "servers", frozenset(servers))


def startable(
    waiting: Sequence[Job], running: Collection[Job], *, limit: int, exclusive: bool
) -> list[Job]:
    """The jobs of ``waiting`` to start now, in their order (see the module)."""
    busy: set[object] = set().union(*(job.servers for job in running))
    chosen: list[Job] = []
    for job in waiting:
        if len(running) + len(chosen) >= limit:
            break
        if exclusive and job.servers & busy:
            continue
        chosen.append(job)
        busy |= job.servers
    return chosen


def blocker(job: Job, running: Collection[Job]) -> Job | None:
    """The running job holding one of ``job``'s servers, if one does (to say what it waits for).

    >>> blocker(Job("shop", {"web1"}), [Job("blog", {"web1", "db1"})]).name
    'blog'
    """
    return next((other for other in running if other.servers & job.servers), None)
