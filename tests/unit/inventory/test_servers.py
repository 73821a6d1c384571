"""Servers declared once in inventories/servers.yml, named by the projects; `inventory check`
across the fleet and `inventory show --servers`, through main()."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.inventory.test_cli import GOOD, PRODUCTION_HOST
from upkeep.cli.main import main
from upkeep.inventory import load_file, load_project
from upkeep.inventory.selection import select_projects
from upkeep.runner import Target
from upkeep.workspace import Workspace

STAGING_HOST = "      - name: web-staging\n        address: 192.0.2.10\n"

# Line numbers in the cases below refer to these texts.
SERVERS = """\
servers:
  web-staging:
    address: 192.0.2.10
    labels: {role: staging, dc: fra1}
  web-production:
    address: 192.0.2.20
    port: 2222
    labels: {role: production, dc: fra1}
"""

# The GOOD inventory naming its hosts instead of writing them (on lines 23 and 29).
SHOP = (
    GOOD.replace(STAGING_HOST, "      - web-staging\n")
    .replace(PRODUCTION_HOST, "      - web-production\n")
    .replace("shared_paths: [storage]\n", "labels: {client: acme, tier: gold}\n")
)

# A second client's project on the same two servers.
BLOG = (
    SHOP.replace("project: shop", "project: blog")
    .replace("shop", "blog")
    .replace("client: acme", "client: globex")
)


# GOOD on servers of its own, written inline.
ELSEWHERE = GOOD.replace("192.0.2.", "198.51.100.")


def write(workspace: Path, name: str, text: str) -> Path:
    path = workspace / "inventories" / name
    path.write_text(text, encoding="utf-8")
    return path


def write_fleet(workspace: Path, blog: str = BLOG) -> None:
    """servers.yml, shop and blog: two projects on the same two servers."""
    write(workspace, "servers.yml", SERVERS)
    write(workspace, "shop.yml", SHOP)
    write(workspace, "blog.yml", blog)


def check(workspace: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    """Run `inventory check` on the fleet; its exit code and its problem lines."""
    before = _files(workspace)
    capsys.readouterr()
    code = main(["--root", str(workspace), "inventory", "check"])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert _files(workspace) == before  # a check changes nothing
    if code:
        assert out == ""
        assert all(line.startswith("upkeep: inventories/") for line in err.splitlines()), err
    return code, [line.removeprefix("upkeep: ") for line in err.splitlines()]


def _files(workspace: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted((workspace / "inventories").iterdir())}


# -- resolution ---------------------------------------------------------------


def test_a_project_naming_its_servers_loads_to_the_same_hosts_as_written_inline(
    workspace: Path,
) -> None:
    inline = load_file(write(workspace, "shop.yml", GOOD))
    write(workspace, "servers.yml", SERVERS)
    named = load_file(write(workspace, "shop.yml", SHOP))
    assert list(named.hosts()) == list(inline.hosts())
    assert named.environment("production").hosts[0].port == 2222
    assert dict(named.labels) == {"client": "acme", "tier": "gold"}


def test_key_paths_in_servers_yml_are_relative_to_it(workspace: Path) -> None:
    write(
        workspace,
        "servers.yml",
        SERVERS.replace("    port: 2222\n", "    port: 2222\n    key: keys/upkeep\n"),
    )
    host = load_file(write(workspace, "shop.yml", SHOP)).environment("production").hosts[0]
    assert host.key == workspace / "inventories" / "keys" / "upkeep"


def test_an_inline_only_inventory_still_loads_and_passes(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workspace, "shop.yml", GOOD)
    assert check(workspace, capsys) == (0, [])
    hosts = load_project(Workspace(workspace), "shop").hosts()
    assert [host.name for _, host in hosts] == ["web-staging", "web-production"]


def test_a_fleet_of_two_projects_on_two_servers_passes(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_fleet(workspace)
    assert check(workspace, capsys) == (0, [])


def test_servers_yml_is_not_a_project(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(workspace, "servers.yml", SERVERS)
    assert main(["--root", str(workspace), "inventory", "show", "servers"]) == 2
    assert "servers.yml declares the servers; it is not a project" in capsys.readouterr().err


# -- refusals -----------------------------------------------------------------


def _in_servers(old: str, new: str) -> tuple[str, str]:
    """servers.yml broken, beside a project of its own servers: its problem alone."""
    assert old in SERVERS
    return SERVERS.replace(old, new, 1), ELSEWHERE


def _in_shop(old: str, new: str) -> tuple[str, str]:
    """The project naming its servers broken."""
    assert old in SHOP
    return SERVERS, SHOP.replace(old, new, 1)


# (id, (servers.yml, shop.yml), the one problem line's start)
PROBLEMS = [
    (
        "unknown-key",
        _in_servers("    port: 2222\n", "    prot: 2222\n"),
        "inventories/servers.yml:7: servers.web-production.prot: unknown key "
        "(did you mean 'port'?)",
    ),
    (
        "bad-address",
        _in_servers("address: 192.0.2.20", "address: 192.0.2.999"),
        "inventories/servers.yml:6: servers.web-production.address: '192.0.2.999' looks like",
    ),
    (
        "duplicate-name",
        _in_servers("  web-production:\n", "  web-staging:\n"),
        "inventories/servers.yml:5: servers.web-staging: duplicate key (already on line 2",
    ),
    (
        "duplicate-address",
        _in_servers(
            "    address: 192.0.2.20\n    port: 2222\n", "    address: 192.0.2.10\n    port: 22\n"
        ),
        "inventories/servers.yml:6: servers.web-production.address: address 192.0.2.10:22 "
        "is already server 'web-staging' (line 2; declare each server once)",
    ),
    (
        "label-number",
        _in_servers("dc: fra1}\n  web-production", "dc: 1}\n  web-production"),
        "inventories/servers.yml:4: servers.web-staging.labels.dc: expected text, got the number 1",
    ),
    (
        "unknown-server",
        _in_shop("- web-production", "- web-prod"),
        "inventories/shop.yml:29: environments.production.hosts[0]: unknown server "
        "'web-prod' (declare it in servers.yml beside the projects",
    ),
    (
        "named-twice",
        _in_shop("- web-production\n", "- web-production\n      - web-production\n"),
        "inventories/shop.yml:30: environments.production.hosts[1]: server 'web-production' "
        "is already listed at environments.production.hosts[0] (list each server once)",
    ),
    (
        "one-database-on-a-named-server",
        _in_shop("- web-staging", "- web-production"),
        "inventories/shop.yml:19: environments.staging: shares host and database with "
        "production on 192.0.2.20:2222",
    ),
    (
        "bad-project-label",
        _in_shop("tier: gold", "Tier: gold"),
        "inventories/shop.yml:17: labels.Tier: 'Tier' is not a label name",
    ),
]


@pytest.mark.parametrize(
    ("texts", "expected"), [c[1:] for c in PROBLEMS], ids=[c[0] for c in PROBLEMS]
)
def test_a_problem_is_reported_once_with_its_file_and_line(
    workspace: Path, capsys: pytest.CaptureFixture[str], texts: tuple[str, str], expected: str
) -> None:
    write(workspace, "servers.yml", texts[0])
    write(workspace, "shop.yml", texts[1])
    code, lines = check(workspace, capsys)
    assert code == 2
    (line,) = lines
    assert line.startswith(expected), line


def test_every_command_refuses_a_site_on_a_server_nobody_declared(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workspace, "servers.yml", SERVERS)
    write(workspace, "shop.yml", SHOP.replace("- web-production", "- web-prod"))
    for args in (("provision", "shop", "production"), ("inventory", "show", "shop")):
        capsys.readouterr()
        assert main(["--root", str(workspace), *args]) == 2
        err = capsys.readouterr().err
        assert err.startswith("upkeep: inventories/shop.yml:29: ") and "'web-prod'" in err
        assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_two_projects_asking_for_different_php_lines_on_one_server_are_refused(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_fleet(workspace, blog=BLOG.replace('line: "8.2"', 'line: "7.4"'))
    code, lines = check(workspace, capsys)
    assert code == 2
    # Both servers carry both projects: one line each, at the second file's php.line.
    assert lines == [
        "inventories/shop.yml:7: php.line: PHP 8.2 here, but project blog asks for PHP 7.4 on "
        f"server {name} ({address}), and a server runs one PHP build (align the lines, or move "
        f"{env} to another server)"
        for name, address, env in (
            ("web-staging", "192.0.2.10:22", "staging"),
            ("web-production", "192.0.2.20:2222", "production"),
        )
    ]


def test_two_projects_pinning_different_builds_on_one_server_are_refused(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_fleet(workspace)
    pins = "project: {}\nenvironments:\n  production:\n    php_build: {}\n"
    write(workspace, "shop.pins.yml", pins.format("shop", "8.2.36-1~deb12u1"))
    write(workspace, "blog.pins.yml", pins.format("blog", "8.2.32-1~deb12u1"))
    code, lines = check(workspace, capsys)
    assert code == 2
    assert lines == [
        "inventories/shop.pins.yml:4: environments.production.php_build: '8.2.36-1~deb12u1' "
        "pinned here, but project blog pins '8.2.32-1~deb12u1' (inventories/blog.pins.yml:4) "
        "on server web-production (192.0.2.20:2222), and a server runs one PHP build "
        "(update both projects to one build)"
    ]
    # The same build on both is one server's build: no problem.
    write(workspace, "blog.pins.yml", pins.format("blog", "8.2.36-1~deb12u1"))
    assert check(workspace, capsys) == (0, [])


BLOG_INLINE = (
    GOOD.replace("project: shop", "project: blog")
    .replace("name: shop", "name: blog")
    .replace("user: shop", "user: blog")
)


@pytest.mark.parametrize(
    ("blog", "expected"),
    [
        (
            BLOG_INLINE.replace("staging.shop", "staging.blog").replace("192.0.2.", "198.51.100."),
            "inventories/shop.yml:26: environments.production.domain: 'www.shop.example' is "
            "already the domain of blog production (inventories/blog.yml:26; each site needs "
            "its own domain)",
        ),
        (
            BLOG_INLINE.replace("shop.example", "blog.example").replace(
                "192.0.2.10", "198.51.100.10"
            ),
            "inventories/shop.yml:31: environments.production.hosts[0].address: address "
            "192.0.2.20:2222 is also a host of project blog (inventories/blog.yml:30; declare "
            "the server once in servers.yml and name it from both)",
        ),
    ],
    ids=["one-domain", "one-server-written-twice"],
)
def test_two_projects_written_inline_that_clash_are_refused(
    workspace: Path, capsys: pytest.CaptureFixture[str], blog: str, expected: str
) -> None:
    write(workspace, "shop.yml", GOOD)
    write(workspace, "blog.yml", blog)
    assert check(workspace, capsys) == (2, [expected])


def test_an_inline_host_at_a_declared_servers_address_is_refused(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workspace, "servers.yml", SERVERS)
    write(workspace, "shop.yml", GOOD)
    code, lines = check(workspace, capsys)
    assert code == 2
    assert lines == [
        "inventories/shop.yml:24: environments.staging.hosts[0].address: address "
        "192.0.2.10:22 is server 'web-staging' in inventories/servers.yml:2 (name it instead "
        "of writing it again: hosts: [web-staging])",
        "inventories/shop.yml:31: environments.production.hosts[0].address: address "
        "192.0.2.20:2222 is server 'web-production' in inventories/servers.yml:5 (name it "
        "instead of writing it again: hosts: [web-production])",
    ]


# -- show --servers -------------------------------------------------------------


def test_show_servers_lists_the_sites_on_each_server(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workspace, "servers.yml", SERVERS + "  web-idle:\n    address: 192.0.2.30\n")
    write(workspace, "shop.yml", SHOP)
    inline = GOOD.replace("project: shop", "project: blog").replace("shop.example", "blog.example")
    write(workspace, "blog.yml", inline.replace("192.0.2.", "198.51.100."))
    capsys.readouterr()
    assert main(["--root", str(workspace), "inventory", "show", "--servers"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "SERVER                   ADDRESS             LABELS                   SITES",
        "-----------------------  ------------------  -----------------------  "
        "-----------------------------------",
        "web-staging              192.0.2.10:22       role=staging,dc=fra1     "
        "shop/staging (staging.shop.example)",
        "web-production           192.0.2.20:2222     role=production,dc=fra1  "
        "shop/production (www.shop.example)",
        "web-idle                 192.0.2.30:22       -                        (none)",
        "web-staging (inline)     198.51.100.10:22    -                        "
        "blog/staging (staging.blog.example)",
        "web-production (inline)  198.51.100.20:2222  -                        "
        "blog/production (www.blog.example)",
    ]


def test_show_servers_json(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_fleet(workspace)
    capsys.readouterr()
    assert main(["--root", str(workspace), "inventory", "show", "--servers", "--json"]) == 0
    envelope = json.loads(capsys.readouterr().out)
    assert (envelope["command"], envelope["exit_code"]) == ("inventory show", 0)
    servers = envelope["data"]["servers"]
    assert servers[1] == {
        "name": "web-production",
        "address": "192.0.2.20",
        "port": 2222,
        "declared": True,
        "labels": {"role": "production", "dc": "fra1"},
        "sites": [
            {
                "project": "blog",
                "environment": "production",
                "domain": "www.blog.example",
                "labels": {"client": "globex", "tier": "gold"},
            },
            {
                "project": "shop",
                "environment": "production",
                "domain": "www.shop.example",
                "labels": {"client": "acme", "tier": "gold"},
            },
        ],
    }
    assert [server["name"] for server in servers] == ["web-staging", "web-production"]


def test_show_servers_refuses_a_broken_fleet_in_one_line_per_problem(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(workspace, "servers.yml", SERVERS)
    write(workspace, "shop.yml", SHOP.replace("- web-staging", "- nowhere"))
    capsys.readouterr()
    assert main(["--root", str(workspace), "inventory", "show", "--servers"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err
    assert err.startswith("upkeep: inventories/shop.yml:23: environments.staging.hosts[0]: unknown")


def test_one_server_named_by_two_environments_is_one_host_of_each_with_names_of_their_own(
    workspace: Path,
) -> None:
    write(workspace, "servers.yml", SERVERS)
    beside = SHOP.replace(
        "      - web-staging\n",
        "      - web-production\n    database: {name: shop_staging, user: shop_staging, "
        "dump_user: shop_staging_dump}\n",
    )
    project = load_file(write(workspace, "shop.yml", beside))
    staging, production = (project.environment(env).hosts[0] for env in ("staging", "production"))
    assert (staging.name, production.name) == (
        "web-production.staging",
        "web-production.production",
    )
    assert (
        (staging.address, staging.port)
        == (production.address, production.port)
        == (
            "192.0.2.20",
            2222,
        )
    )
    targets = [Target(str(env), host) for env, host in project.hosts()]
    assert len({target.name for target in targets}) == 2  # a run reaches each environment
    selected = select_projects(Workspace(workspace), ["shop"], where=["role=production"])
    assert [p.name for p in selected.projects] == ["shop"]  # the server's labels still count


@pytest.mark.parametrize(
    ("blog", "expected"),
    [
        (
            BLOG.replace("  name: blog\n", "  name: shop\n"),
            "inventories/shop.yml:12: database.name: database name 'shop' is also project "
            "blog's staging on server web-staging (192.0.2.10:22), and one server has "
            "one of each (give shop its own)",
        ),
        (
            BLOG.replace("  dump_user: blog_dump\n", "  dump_user: shop_dump\n"),
            "inventories/shop.yml:15: database.dump_user: database dump user 'shop_dump' is also "
            "project blog's staging on server web-staging (192.0.2.10:22), and one "
            "server has one of each (give shop its own)",
        ),
    ],
    ids=["one-database-name", "one-dump-user"],
)
def test_two_projects_with_one_database_on_one_server_are_refused(
    workspace: Path, capsys: pytest.CaptureFixture[str], blog: str, expected: str
) -> None:
    write_fleet(workspace, blog=blog)
    assert check(workspace, capsys) == (2, [expected])
