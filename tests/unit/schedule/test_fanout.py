"""The fleet spread over matrix jobs: every project once, at most the matrix limit of jobs,
and never two jobs that may run at once on one server."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given
from hypothesis import strategies as st

from upkeep.schedule.fanout import MATRIX_LIMIT, Member, Shard, group_name, shards


def project_of_each(found: Sequence[Shard]) -> list[str]:
    return sorted(project for shard in found for project in shard.projects)


def assert_no_server_in_two_groups(found: Sequence[Shard], members: Sequence[Member]) -> None:
    """Jobs with different groups run at once, so their servers must be apart."""
    servers = {m.project: set(m.servers) for m in members}
    group_of_server: dict[str, str] = {}
    for shard in found:
        for project in shard.projects:
            for server in servers[project]:
                assert server in shard.servers, (server, shard)
                assert group_of_server.setdefault(server, shard.group) == shard.group, server


def test_one_job_per_project_up_to_the_limit_grouped_by_shared_servers() -> None:
    # A sorted server list per project would give {a, b} and {b, c} two names: they share b.
    members = [
        Member("alpha", ("a", "b")),
        Member("beta", ("b", "c")),
        Member("gamma", ("d",)),
        Member("delta", ()),
    ]
    found = shards(members)
    assert [shard.projects for shard in found] == [("alpha",), ("beta",), ("delta",), ("gamma",)]
    groups = {shard.projects[0]: shard.group for shard in found}
    assert groups["alpha"] == groups["beta"] == "a+b+c"
    assert groups["gamma"] == "d"
    assert groups["delta"] == "project-delta"  # no server: locks nobody's
    assert_no_server_in_two_groups(found, members)


def test_past_gitlabs_matrix_limit_projects_share_jobs_and_never_a_server() -> None:
    # 450 projects: 300 alone on a server each, a chain of 100 linked by shared servers,
    # and 25 pairs: one job per project would be 450 jobs, over GitLab's 200.
    members = [Member(f"solo-{n:03d}", (f"s{n}",)) for n in range(300)]
    members += [Member(f"chain-{n:03d}", (f"c{n}", f"c{n + 1}")) for n in range(100)]
    members += [Member(f"pair-{n:02d}-{k}", (f"p{n}",)) for n in range(25) for k in (1, 2)]
    assert MATRIX_LIMIT == 200
    for split in (True, False):
        found = shards(members, split=split)
        assert len(found) <= 200
        assert project_of_each(found) == sorted(m.project for m in members)
        assert_no_server_in_two_groups(found, members)
    chain_groups = {s.group for s in shards(members) if s.projects[0].startswith("chain-")}
    assert len(chain_groups) == 1  # the chain's shards queue on its one group
    whole = shards(members, split=False)
    assert len({s.group for s in whole}) == len(whole)  # no two whole shards share a group


def test_clusters_come_from_the_whole_fleet_so_every_job_names_a_server_alike() -> None:
    # The refresh runs on two projects only; the third still joins them on one group.
    fleet = [Member("one", ("a",)), Member("two", ("b",)), Member("link", ("a", "b"))]
    found = shards([m for m in fleet if m.project != "link"], fleet=fleet)
    assert {s.group for s in found} == {"a+b"}
    assert {s.group for s in shards(fleet)} == {"a+b"}


def test_group_names_are_short_safe_and_stable() -> None:
    many = [f"web-{n:03d}.example" for n in range(40)]
    name = group_name(many)
    assert len(name) <= 80 and name == group_name(list(reversed(many)))
    assert name.startswith("web-000.example-and-39-more-")
    assert group_name(["[2001:db8::1]:22", "10.0.0.1:22"]) == "10.0.0.1-22+2001-db8-1-22"


servers = st.sets(st.sampled_from([f"srv{n}" for n in range(30)]), max_size=4)


@given(
    st.lists(servers, min_size=1, max_size=60),
    st.integers(min_value=1, max_value=25),
    st.booleans(),
)
def test_any_fleet_any_limit(server_sets: list[set[str]], limit: int, split: bool) -> None:
    members = [Member(f"p{n:02d}", tuple(sorted(s))) for n, s in enumerate(server_sets)]
    found = shards(members, limit, split=split)
    assert len(found) <= limit
    assert project_of_each(found) == sorted(m.project for m in members)
    assert_no_server_in_two_groups(found, members)
    assert found == shards(list(reversed(members)), limit, split=split)  # order-free
