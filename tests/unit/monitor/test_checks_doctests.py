"""The examples in the checks' docstrings run and hold."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "upkeep.monitor.checks",
    "upkeep.monitor.conditions",
    "upkeep.monitor.evaluate",
    "upkeep.monitor.logscan",
    "upkeep.monitor.nagios",
    "upkeep.monitor.output",
    "upkeep.monitor.prometheus",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
