"""Every example in a docstring runs and holds: each module with one is found and tested.

Examples that need a lab or a repository say ``# doctest: +SKIP``; a module
whose every example is skipped still has to import.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _modules() -> list[str]:
    names = []
    for package in ("upkeep", "tasks", "deploys"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if ">>> " in path.read_text(encoding="utf-8"):
                parts = path.relative_to(ROOT).with_suffix("").parts
                names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


MODULES = _modules()


def test_the_examples_are_found() -> None:
    assert len(MODULES) > 40 and "upkeep.refresh.serialized" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
