"""The examples in the refresh transformer's docstrings run and hold."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "upkeep.inventory.model",
    "upkeep.refresh.fakes",
    "upkeep.refresh.leaks",
    "upkeep.refresh.sanitize",
    "upkeep.refresh.serialized",
    "upkeep.refresh.sqldump",
    "upkeep.refresh.transform",
    "upkeep.refresh.urls",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
