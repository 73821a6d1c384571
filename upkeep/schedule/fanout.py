"""The fleet spread over CI runners: projects in matrix shards, servers in resource groups.

A CI matrix runs its jobs side by side, so two jobs must never change one
server at once. A job's lock is one name (GitLab's ``resource_group``,
GitHub's ``concurrency`` group), but a project may have several servers and
two projects may share some. We therefore join projects that share a server,
directly or through others, into one *cluster*, and every job of a cluster
takes the cluster's group (named after its sorted servers): jobs on disjoint
servers run in parallel, jobs that could meet on a server wait in turn. A
sorted server list per project would not do: {a, b} and {b, c} are different
names for jobs that both change b.

A matrix holds at most ``MATRIX_LIMIT`` jobs (GitLab's limit for
``parallel:matrix``; GitHub allows 256). Up to it, a job per project; past
it, a job per *shard*: several projects run one after another in one job.
A shard holds whole clusters (its group is then its own) or a part of one
large cluster (its group is the cluster's, shared with the cluster's other
shards).

    >>> members = [Member("blog", ("web-1",)), Member("shop", ("web-1", "db-1")),
    ...            Member("wiki", ("web-2",))]
    >>> [(s.projects, s.group) for s in shards(members)]
    [(('blog',), 'db-1+web-1'), (('shop',), 'db-1+web-1'), (('wiki',), 'web-2')]
    >>> [s.projects for s in shards(members, limit=2)]
    [('blog', 'shop'), ('wiki',)]
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from upkeep.inventory.crosscheck import endpoint, shown_endpoint
from upkeep.inventory.model import Project
from upkeep.inventory.servers import Fleet

MATRIX_LIMIT = 200  # jobs in one GitLab parallel:matrix
_GROUP_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
_GROUP_MAX = 80  # long enough to read, short enough for GitLab's and GitHub's names


@dataclass(frozen=True)
class Member:
    """A project and the servers its jobs may change (declared names, or address:port)."""

    project: str
    servers: tuple[str, ...]


@dataclass(frozen=True)
class Shard:
    """One matrix job: its projects, run in turn, and the group that keeps its servers to it."""

    projects: tuple[str, ...]
    servers: tuple[str, ...]
    group: str


def members_of(projects: Iterable[Project], fleet: Fleet) -> list[Member]:
    """Each project with the servers of all its environments, by the names servers.yml gives.

    Every environment counts: an update changes staging and production, a
    refresh changes staging, and two projects' dev sites may share a server.
    """
    names = fleet.by_endpoint()
    found = []
    for project in projects:
        servers = set()
        for _, host in project.hosts():
            key = endpoint(host.address, host.port)
            servers.add(names.get(key) or shown_endpoint(host.address, host.port))
        found.append(Member(project.name, tuple(sorted(servers))))
    return found


def shards(
    members: Sequence[Member],
    limit: int = MATRIX_LIMIT,
    *,
    split: bool = True,
    fleet: Sequence[Member] = (),
) -> tuple[Shard, ...]:
    """The matrix jobs for ``members``: at most ``limit``, every project in exactly one.

    ``split``: a large cluster may take several shards that wait for each other
    on its group (GitLab queues them); without it every shard holds whole
    clusters, so no two share a group (GitHub keeps only one run waiting per
    group and cancels the others). ``fleet`` (default: ``members``) is what the
    clusters are made of, so that every job of one pipeline, whatever its
    projects, names one server's group alike.
    """
    if limit < 1:
        raise ValueError("a matrix holds at least one job")
    wanted = {member.project for member in members}
    clusters = [
        _Cluster(tuple(m for m in cluster.members if m.project in wanted), cluster.servers)
        for cluster in _clusters(fleet or members)
        if any(m.project in wanted for m in cluster.members)
    ]
    size = max(1, math.ceil(len(members) / limit))
    while True:  # bigger shards until they fit; at len(members) one shard holds everything
        found = _cut(clusters, size, split)
        if len(found) <= limit:
            return found
        size += 1


def group_name(servers: Sequence[str]) -> str:
    """A lock name for ``servers``: their sorted names joined, shortened with a digest.

    >>> group_name(["web-2", "db-1"])
    'db-1+web-2'
    >>> group_name(["[2001:db8::1]:22"])
    '2001-db8-1-22'
    """
    words = [_GROUP_CHARS.sub("-", name).strip("-") or "server" for name in sorted(servers)]
    joined = "+".join(words) or "no-server"
    if len(joined) <= _GROUP_MAX:
        return joined
    digest = hashlib.sha256("\n".join(sorted(servers)).encode()).hexdigest()[:10]
    return f"{words[0][:40]}-and-{len(words) - 1}-more-{digest}"


@dataclass(frozen=True)
class _Cluster:
    members: tuple[Member, ...]  # sorted by project
    servers: tuple[str, ...]


def _clusters(members: Sequence[Member]) -> list[_Cluster]:
    """Projects joined where they share a server (union-find over server names)."""
    parent: dict[str, str] = {}

    def root(name: str) -> str:
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    for member in members:
        # A project without a server is its own cluster: it locks nothing of anyone's.
        keys = member.servers or (f"project:{member.project}",)
        for key in keys:
            parent.setdefault(key, key)
        for key in keys[1:]:
            parent[root(key)] = root(keys[0])
    grouped: dict[str, list[Member]] = {}
    for member in members:
        grouped.setdefault(root((member.servers or (f"project:{member.project}",))[0]), []).append(
            member
        )
    clusters = [
        _Cluster(
            tuple(sorted(found, key=lambda m: m.project)),
            tuple(sorted({server for m in found for server in m.servers})),
        )
        for found in grouped.values()
    ]
    return sorted(clusters, key=lambda c: c.members[0].project)


def _cut(clusters: list[_Cluster], size: int, split: bool) -> tuple[Shard, ...]:
    """Shards of at most ``size`` projects (or one large cluster whole, unless ``split``):
    large clusters cut, small ones packed together."""
    found: list[Shard] = []
    packed: list[_Cluster] = []

    def close_pack() -> None:
        if packed:
            servers = tuple(sorted({s for c in packed for s in c.servers}))
            projects = tuple(m.project for c in packed for m in c.members)
            found.append(Shard(projects, servers, _group_of(servers, projects)))
            packed.clear()

    for cluster in clusters:
        count = len(cluster.members)
        if count >= size:
            group = _group_of(cluster.servers, tuple(m.project for m in cluster.members))
            step = size if split else count
            for start in range(0, count, step):
                part = cluster.members[start : start + step]
                found.append(Shard(tuple(m.project for m in part), cluster.servers, group))
            continue
        if sum(len(c.members) for c in packed) + count > size:
            close_pack()
        packed.append(cluster)
    close_pack()
    return tuple(sorted(found, key=lambda shard: shard.projects))


def _group_of(servers: tuple[str, ...], projects: tuple[str, ...]) -> str:
    # Projects without servers share nothing: the first project's name keeps them apart.
    return group_name(servers) if servers else f"project-{group_name(projects[:1])}"
