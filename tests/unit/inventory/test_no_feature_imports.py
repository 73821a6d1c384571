"""The inventory is core: no module under upkeep/inventory/ imports a feature package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import upkeep.inventory

INVENTORY = Path(upkeep.inventory.__file__).parent
FEATURES = (
    "upkeep.monitor",
    "upkeep.sla",
    "upkeep.notify",
    "upkeep.refresh",
    "upkeep.update",
    "upkeep.provision",
    "upkeep.dev",
    "upkeep.drift",
    "upkeep.estimate",
    "upkeep.schedule",
    "upkeep.lab",
    "upkeep.cli",
)


def imported_modules(source: str) -> list[tuple[int, str]]:
    """Every module a source imports, with its line: ``from a import b`` counts as a and a.b.

    >>> imported_modules("from upkeep import monitor\\nimport os")
    [(1, 'upkeep'), (1, 'upkeep.monitor'), (2, 'os')]
    """
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return sorted(found)


def feature_imports(source: str) -> list[str]:
    return [
        f"line {line}: {module}"
        for line, module in imported_modules(source)
        if any(module == feature or module.startswith(f"{feature}.") for feature in FEATURES)
    ]


@pytest.mark.parametrize("path", sorted(INVENTORY.glob("*.py")), ids=lambda path: path.name)
def test_no_inventory_module_imports_a_feature(path: Path) -> None:
    assert feature_imports(path.read_text()) == []


@pytest.mark.parametrize(
    "source",
    [
        "from upkeep.monitor.alerts import Alerts",
        "from upkeep import notify",
        "import upkeep.sla.policy",
        "def f():\n    from upkeep.cli.main import main",  # a late import counts too
    ],
)
def test_the_rule_sees_every_way_of_importing(source: str) -> None:
    assert feature_imports(source) != []


def test_the_rule_lets_the_core_be() -> None:
    source = "from upkeep import credentials\nfrom upkeep.inventory import yamldoc\nimport os"
    assert feature_imports(source) == []
