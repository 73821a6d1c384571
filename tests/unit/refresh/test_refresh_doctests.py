"""The examples in the refresh's docstrings run and hold."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "upkeep.inventory.model",
    "upkeep.progress",
    "upkeep.refresh.fakes",
    "upkeep.refresh.files",
    "upkeep.refresh.inspect",
    "upkeep.refresh.leaks",
    "upkeep.refresh.sanitize",
    "upkeep.refresh.serialized",
    "upkeep.refresh.sqldump",
    "upkeep.refresh.transform",
    "upkeep.refresh.urls",
    "upkeep.refresh.verify",
    "upkeep.smoke",
    "upkeep.update.packages",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
