"""The examples in the SLA modules' docstrings run and hold."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "upkeep.sla.availability",
    "upkeep.sla.calendar",
    "upkeep.sla.incidents",
    "upkeep.sla.policy",
    "upkeep.sla.report",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
