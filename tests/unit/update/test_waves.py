"""The fleet's update plan: staging servers first, a canary, growing waves, servers left out."""

from __future__ import annotations

import pytest

from upkeep.errors import UsageError
from upkeep.update.waves import FleetPlan, Site, plan

OLD, NEW, NEWER = "8.2.32-1~deb12u1", "8.2.36-1~deb12u1", "8.2.40-1~deb12u1"


def _site(
    project: str, environment: str, server: str, pinned: str | None = OLD, line: str = "8.2"
) -> Site:
    return Site(project, environment, f"{environment}.{project}.test", server, line, pinned)


def _shape(found: FleetPlan) -> list[tuple[str, list[str]]]:
    return [(wave.name, [server.server for server in wave.servers]) for wave in found.waves]


def test_staging_servers_come_first_then_a_canary_of_one_then_doubling_waves() -> None:
    sites = [_site("shop", "staging", "stage-1"), _site("blog", "dev", "dev-1")]
    sites += [_site(f"p{n}", "production", f"web-{n}") for n in range(1, 8)]

    found = plan(sites, {"8.2": NEW})

    assert _shape(found) == [
        ("staging", ["dev-1", "stage-1"]),
        ("canary", ["web-1"]),
        ("wave 2", ["web-2", "web-3"]),
        ("wave 3", ["web-4", "web-5", "web-6", "web-7"]),
    ]
    assert [w.stage for w in found.waves] == ["staging", "production", "production", "production"]
    assert [w.number for w in found.waves] == [1, 2, 3, 4]
    assert {(s.from_build, s.to_build) for s in found.servers} == {(OLD, NEW)}


def test_wave_size_fixes_the_waves_after_the_canary() -> None:
    sites = [_site(f"p{n}", "production", f"web-{n}") for n in range(1, 6)]
    assert _shape(plan(sites, {"8.2": NEW}, wave_size=3)) == [
        ("canary", ["web-1"]),
        ("wave 2", ["web-2", "web-3", "web-4"]),
        ("wave 3", ["web-5"]),
    ]
    with pytest.raises(UsageError, match="--wave-size 0: a wave needs at least one server"):
        plan(sites, {"8.2": NEW}, wave_size=0)


def test_the_canary_is_the_production_server_with_the_fewest_sites() -> None:
    sites = [
        _site("a", "production", "web-a"),
        _site("b", "production", "web-a"),
        _site("c", "production", "web-b"),
    ]
    found = plan(sites, {"8.2": NEW})
    assert _shape(found) == [("canary", ["web-b"]), ("wave 2", ["web-a"])]
    assert [s.label for s in found.waves[1].servers[0].sites] == ["a/production", "b/production"]


def test_a_server_with_staging_beside_production_moves_with_production() -> None:
    sites = [_site("twin", "staging", "web-1"), _site("twin", "production", "web-1")]
    found = plan(sites, {"8.2": NEW})
    assert _shape(found) == [("canary", ["web-1"])]
    assert found.waves[0].projects == ("twin",)


def test_servers_whose_sites_are_current_are_left_out_and_said_so() -> None:
    sites = [
        _site("new", "production", "web-1", pinned=NEW),
        _site("old", "production", "web-2"),
        _site("fresh", "production", "web-3", pinned=None),
        _site("legacy", "production", "web-4", pinned="7.4.33-1+deb11u5", line="7.4"),
        _site("ahead", "production", "web-5", pinned=NEWER),
    ]
    found = plan(sites, {"8.2": NEW, "7.4": None})
    assert _shape(found) == [("canary", ["web-2"])]
    assert [(o.server, o.why) for o in found.left_out] == [
        ("web-1", f"every site on it runs PHP {NEW}, the newest"),
        ("web-3", "fresh/production never provisioned (no PHP build pinned)"),
        ("web-4", "every site on it runs PHP 7.4.33-1+deb11u5, the newest"),
        ("web-5", f"every site on it runs PHP {NEWER}, the newest"),  # never backwards
    ]
    assert f"left out: web-1: every site on it runs PHP {NEW}, the newest" in found.lines()


def test_nothing_to_move_is_an_empty_plan_that_says_so() -> None:
    found = plan([_site("shop", "production", "web-1", pinned=NEW)], {"8.2": NEW})
    assert found.empty and found.lines()[0].startswith("nothing to update")


def test_projects_on_one_server_that_disagree_are_refused() -> None:
    lines = [_site("a", "production", "web-1"), _site("b", "production", "web-1", line="8.3")]
    with pytest.raises(UsageError, match=r"server web-1 has sites on PHP 8.2 and 8.3"):
        plan(lines, {"8.2": NEW, "8.3": None})
    builds = [_site("a", "production", "web-1"), _site("b", "production", "web-1", pinned=NEW)]
    with pytest.raises(UsageError, match=r"server web-1 has sites pinned at .* and "):
        plan(builds, {"8.2": NEWER})


def test_the_plan_printed_names_each_wave_its_servers_sites_and_builds() -> None:
    sites = [_site("shop", "staging", "stage-1"), _site("shop", "production", "web-1")]
    assert plan(sites, {"8.2": NEW}).lines() == [
        "staging (staging, 1 server):",
        f"  stage-1: shop/staging (staging.shop.test); PHP {OLD} → {NEW}",
        "canary (production, 1 server):",
        f"  web-1: shop/production (production.shop.test); PHP {OLD} → {NEW}",
    ]


def test_a_plan_kept_in_a_journal_comes_back_the_same() -> None:
    sites = [_site("shop", "staging", "stage-1")]
    sites += [_site(f"p{n}", "production", f"web-{n}") for n in range(1, 4)]
    found = plan(sites, {"8.2": NEW})
    assert FleetPlan.from_dict(found.to_dict()) == found
