"""Smoke checks run all at once: after an update they close production's window.

The SSH round trip is stood in for by a function that answers as curl on the host
would, but only once every check of the environment is waiting at the same barrier:
checks run one after another would leave the first alone there until it gives up.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.unit.shop import HEAD
from upkeep import smoke as smoke_module
from upkeep.inventory import load_project
from upkeep.inventory.model import Host
from upkeep.smoke import smoke
from upkeep.workspace import Workspace

TWO_HOSTS = """\
  production:
    domain: www.shop.test
    tls: manual
    hosts: [{name: shop-1, address: 127.0.0.1}, {name: shop-2, address: 127.0.0.2}]
"""


def test_every_check_on_every_host_is_under_way_at_once(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workspace / "inventories" / "shop.yml").write_text(HEAD + TWO_HOSTS)
    project = load_project(Workspace(workspace), "shop")
    together = threading.Barrier(4, timeout=60)  # 2 hosts x (health, home)

    def curl_on(host: Host, script: str, what: str, timeout: float = 3600) -> str:
        together.wait()  # BrokenBarrierError when the checks run one by one
        if "/health.php" in script:
            return '{"status":"ok","php_version":"8.2.36"}\n200 0.010'
        return "<html>shop</html>\n200 0.020"

    monkeypatch.setattr(smoke_module, "check_root", curl_on)
    result = smoke(project, project.environment("production"), expect_php="8.2.36-1~deb12u1")
    assert result.ok, result.summary()
    assert [(c.host, c.name) for c in result.checks] == [
        ("shop-1", "health"),
        ("shop-1", "home"),
        ("shop-2", "health"),
        ("shop-2", "home"),
    ]  # in the inventory's order, however they finished
