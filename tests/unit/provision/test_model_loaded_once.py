"""The model is loaded once per command: the CLI reads the inventory and the pins, the
workflows take them as values. No server needed: each command here is refused by a
workflow's own check, or finds its hosts unreachable, after the model was loaded."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.unit.inventory.test_shared_hosts import GOOD, ON_PRODUCTION, OWN_DATABASE, STAGING_HOST
from tests.unit.run_cli import run_cli
from upkeep.cli.main import build_parser
from upkeep.inventory import load_project
from upkeep.inventory.pins import load_pins

# Staging on production's server, each pinned at another PHP build: provision and deploy
# refuse in their checks ("pins agree"), before any lock or host.
DISAGREEING_PINS = (
    "# Written by upkeep\nproject: shop\nenvironments:\n"
    "  staging: {php_build: 8.2.36-1~deb12u1, ref: 0123456789abcdef0123456789abcdef01234567}\n"
    "  production: {php_build: 8.2.32-1~deb12u1, ref: 0123456789abcdef0123456789abcdef01234567}\n"
)


def spy(monkeypatch: pytest.MonkeyPatch, loader: Callable[..., Any]) -> list[str]:
    """Every call of ``loader`` from any module that imported it: the project names asked."""
    build_parser()  # imports every command's module, and through them the workflows
    calls: list[str] = []

    def counted(workspace: Any, name: str) -> Any:
        calls.append(name)
        return loader(workspace, name)

    for module in list(sys.modules.values()):
        for attribute, value in list(vars(module).items()):
            if value is loader:
                monkeypatch.setattr(module, attribute, counted)
    return calls


@pytest.fixture
def shared(workspace: Path) -> Path:
    (workspace / "inventories" / "shop.yml").write_text(
        GOOD.replace(STAGING_HOST, ON_PRODUCTION + OWN_DATABASE)
    )
    (workspace / "inventories" / "shop.pins.yml").write_text(DISAGREEING_PINS)
    return workspace


@pytest.mark.parametrize(
    "command",
    [
        ("provision", "shop", "all"),  # the CLI reads the environments' names from the model
        ("provision", "shop", "staging", "--dry-run"),
        ("deploy", "shop", "staging"),  # no --ref: the CLI reads the inventory's ref
    ],
)
def test_provision_and_deploy_load_the_inventory_and_the_pins_once(
    shared: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: tuple[str, ...],
) -> None:
    projects = spy(monkeypatch, load_project)
    pins = spy(monkeypatch, load_pins)

    code, _, err = run_cli(capsys, "--root", str(shared), *command)

    assert code == 2 and "but pin different PHP builds" in err, err
    assert (projects, pins) == (["shop"], ["shop"])


def test_drift_loads_the_model_once_and_runs_without_reading_it_again(
    shared: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    projects = spy(monkeypatch, load_project)
    pins = spy(monkeypatch, load_pins)

    code, _, _ = run_cli(capsys, "--root", str(shared), "drift", "shop")

    assert code == 2  # its hosts are addresses nothing answers on
    assert (projects, pins) == (["shop"], ["shop"])


def test_dev_up_loads_the_model_once_before_its_check_refuses(
    shared: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (shared / "inventories" / "shop.pins.yml").unlink()  # production never provisioned
    projects = spy(monkeypatch, load_project)
    pins = spy(monkeypatch, load_pins)

    code, _, err = run_cli(capsys, "--root", str(shared), "dev", "up", "shop")

    assert code == 2 and "production has no pins yet" in err, err
    assert (projects, pins) == (["shop"], ["shop"])
