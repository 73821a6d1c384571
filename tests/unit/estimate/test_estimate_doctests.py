"""The examples in the estimate modules' docstrings run and hold."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "upkeep.estimate.catalogue",
    "upkeep.estimate.composer",
    "upkeep.estimate.composer_constraints",
    "upkeep.estimate.detect_calls",
    "upkeep.estimate.effort",
    "upkeep.estimate.errors",
    "upkeep.estimate.files",
    "upkeep.estimate.matchers",
    "upkeep.estimate.model",
    "upkeep.estimate.phpast",
    "upkeep.estimate.pool",
    "upkeep.estimate.project",
    "upkeep.estimate.report",
    "upkeep.estimate.resolve",
    "upkeep.estimate.scanner",
    "upkeep.estimate.versions",
    "upkeep.estimate.walker",
    "upkeep.estimate.workflow",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
