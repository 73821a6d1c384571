"""The CLI is the edge: nothing outside ``upkeep/cli/`` imports it (read from the source)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "upkeep" / "cli"


def imported_modules(source: str) -> set[str]:
    """Every module a source imports, ``from X import y`` read as both X and X.y.

    >>> sorted(imported_modules("from upkeep import cli\\nimport upkeep.cli.output"))
    ['upkeep', 'upkeep.cli', 'upkeep.cli.output']
    """
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def cli_importers(root: Path) -> list[str]:
    """The modules under ``root`` (outside its upkeep/cli/) that import ``upkeep.cli``."""
    offenders = []
    for package in ("upkeep", "tasks", "deploys"):
        for path in sorted((root / package).rglob("*.py")):
            if path.is_relative_to(root / "upkeep" / "cli"):
                continue
            names = imported_modules(path.read_text(encoding="utf-8"))
            if any(name == "upkeep.cli" or name.startswith("upkeep.cli.") for name in names):
                offenders.append(str(path.relative_to(root)))
    return offenders


def test_nothing_outside_the_cli_imports_it() -> None:
    assert cli_importers(ROOT) == []


def test_an_import_of_the_cli_is_found(tmp_path: Path) -> None:
    (tmp_path / "upkeep" / "monitor").mkdir(parents=True)
    (tmp_path / "upkeep" / "cli").mkdir()
    (tmp_path / "upkeep" / "monitor" / "output.py").write_text(
        "from upkeep.cli.output import table\n"
    )
    (tmp_path / "upkeep" / "sla.py").write_text("from upkeep import cli\n")
    (tmp_path / "upkeep" / "cli" / "main.py").write_text("import upkeep.cli.output\n")
    assert cli_importers(tmp_path) == ["upkeep/monitor/output.py", "upkeep/sla.py"]
