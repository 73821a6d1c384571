"""`upkeep ping` as a value (upkeep.ping) and through the CLI, against hosts that refuse SSH
(127.0.0.1 with nothing listening: real refusals, no stand-ins)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.cli.test_check import INVENTORY, SSH_PORT
from tests.unit.run_cli import run_cli as run
from upkeep.exitcodes import ExitCode
from upkeep.inventory import load_project
from upkeep.ping import ping
from upkeep.workspace import find_workspace


@pytest.fixture
def repo(workspace: Path) -> Path:
    (workspace / "inventories" / "shop.yml").write_text(INVENTORY)
    return workspace


def test_a_refused_host_is_a_reply_with_its_reason(repo: Path) -> None:
    result = ping(load_project(find_workspace(str(repo)), "shop"), ["production"])
    [reply] = result.hosts
    assert (reply.environment, reply.host, reply.address) == (
        "production",
        "shop-production",
        f"127.0.0.1:{SSH_PORT}",
    )
    assert not reply.ok and reply.error and not result.ok
    assert result.to_dict()["hosts"] == [
        {
            "environment": "production",
            "host": "shop-production",
            "address": f"127.0.0.1:{SSH_PORT}",
            "ok": False,
            "error": reply.error,
        }
    ]


def test_the_cli_renders_every_host_and_fails(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--root", str(repo), "ping", "shop")
    assert code == ExitCode.FAILED
    assert "shop-staging" in out and "shop-production" in out and "FAILED: " in out
    code, out, _ = run(capsys, "--root", str(repo), "ping", "shop", "--json")
    assert code == ExitCode.FAILED
    assert [host["host"] for host in json.loads(out)["data"]["hosts"]] == [
        "shop-staging",
        "shop-production",
    ]


def test_ping_takes_the_one_selector_grammar(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blog = INVENTORY.replace("project: shop", "project: blog").replace("shop", "blog")
    (repo / "inventories" / "blog.yml").write_text(blog)
    code, out, _ = run(capsys, "--root", str(repo), "ping", "--all", "production")
    assert code == ExitCode.FAILED
    assert "blog-production" in out and "shop-production" in out and "shop-staging" not in out
    assert out.splitlines()[-3:] == [
        "summary: 0 of 2 projects succeeded",
        f"  blog: failed: blog-production: {_refusal(out, 'blog')}",
        f"  shop: failed: shop-production: {_refusal(out, 'shop')}",
    ]


def _refusal(out: str, project: str) -> str:
    """The reason the table printed for the project's production host."""
    line = next(line for line in out.splitlines() if f"{project}-production " in line)
    return line.split("FAILED: ", 1)[1].strip()
