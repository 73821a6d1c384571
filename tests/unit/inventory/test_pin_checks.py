"""A pins file whose pin cannot be true is refused: exit 2, naming the file, environment, value.

Two kinds: a PHP build that is not on the inventory's PHP line (provision would
install what the inventory does not ask for), and an ``updated`` time that
does not exist (2026-13-45, 30 February) or lies in the future. Both through
the CLI: `inventory check` and a command that loads the project.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.inventory.test_cli import GOOD, write  # GOOD is on PHP 8.2
from tests.unit.run_cli import run_cli as run

PINS = "project: shop\nenvironments:\n  staging:\n    php_build: 8.2.36-1~deb12u1\n  production:\n"

# (id, production's lines in the pins file, the problem line after "upkeep: ")
BAD_PINS = [
    (
        "another-php-line",
        "    php_build: 7.4.33-1+deb11u5\n",
        "inventories/shop.pins.yml:6: environments.production.php_build: '7.4.33-1+deb11u5' is "
        "not a build of PHP 8.2, the inventory's line",
    ),
    (
        "another-line-with-epoch",
        "    php_build: 1:8.3.1-1\n",
        "inventories/shop.pins.yml:6: environments.production.php_build: '1:8.3.1-1' is not a "
        "build of PHP 8.2",
    ),
    (
        "month-13-day-45",
        "    php_build: 8.2.36-1~deb12u1\n    updated: '2026-13-45T10:00:00Z'\n",
        "inventories/shop.pins.yml:7: environments.production.updated: '2026-13-45T10:00:00Z' is "
        "not a date and time that exists",
    ),
    (
        "30-february",
        "    php_build: 8.2.36-1~deb12u1\n    updated: '2026-02-30T10:00:00Z'\n",
        "inventories/shop.pins.yml:7: environments.production.updated: '2026-02-30T10:00:00Z' is "
        "not a date and time that exists",
    ),
    (
        "hour-25",
        "    php_build: 8.2.36-1~deb12u1\n    updated: '2026-11-20T25:00:00Z'\n",
        "inventories/shop.pins.yml:7: environments.production.updated: '2026-11-20T25:00:00Z' is "
        "not a date and time that exists",
    ),
    (
        "far-future",
        "    php_build: 8.2.36-1~deb12u1\n    updated: '2999-01-01T10:00:00Z'\n",
        "inventories/shop.pins.yml:7: environments.production.updated: '2999-01-01T10:00:00Z' is "
        "in the future",
    ),
]


@pytest.fixture
def shop(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("UPKEEP_SECRETS_FILE", str(workspace / "absent.yml"))
    monkeypatch.setenv("UPKEEP_STATE_DIR", str(workspace / "state"))
    write(workspace, GOOD)
    return workspace


@pytest.mark.parametrize(
    "command", [("inventory", "check"), ("inventory", "show", "shop")], ids=["check", "load"]
)
@pytest.mark.parametrize(
    ("production", "expected"), [c[1:] for c in BAD_PINS], ids=[c[0] for c in BAD_PINS]
)
def test_an_impossible_pin_is_refused_naming_file_environment_and_value(
    shop: Path,
    capsys: pytest.CaptureFixture[str],
    command: tuple[str, ...],
    production: str,
    expected: str,
) -> None:
    write(shop, PINS + production, "shop.pins.yml")
    code, out, err = run(capsys, "--root", str(shop), *command)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith(f"upkeep: {expected}"), err


def test_pins_on_the_line_at_a_real_time_pass(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    production = "    php_build: 1:8.2.1-1\n    updated: '2024-02-29T23:59:59Z'\n"
    write(shop, PINS + production, "shop.pins.yml")
    assert run(capsys, "--root", str(shop), "inventory", "check") == (0, "ok: 1 inventories\n", "")
    code, out, _ = run(capsys, "--root", str(shop), "inventory", "show", "shop")
    assert code == 0 and "php_build: 1:8.2.1-1" in out
