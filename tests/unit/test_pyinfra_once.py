"""pyinfra's global argument types, read once: the same answer pyinfra computes, now shared."""

from __future__ import annotations

from typing import get_type_hints

from pyinfra.api import Config, Inventory, State, arguments, facts

import upkeep.runner  # noqa: F401 - importing the runner puts the cache in place
from upkeep import pyinfra_once


def test_the_runner_puts_the_cached_types_where_pyinfra_looks_them_up() -> None:
    assert arguments.all_global_arguments is pyinfra_once.all_global_arguments
    assert facts.all_global_arguments is pyinfra_once.all_global_arguments


def test_the_cached_types_are_pyinfras_own_and_a_fresh_list_each_time() -> None:
    first = arguments.all_global_arguments()
    assert first == list(get_type_hints(arguments.AllArguments).items())
    first.clear()  # a caller changing its list changes no one else's
    assert arguments.all_global_arguments() == list(get_type_hints(arguments.AllArguments).items())


def test_operations_get_their_global_arguments_as_before() -> None:
    state = State(Inventory((["web1"], {"_sudo": True})), Config())
    host = state.inventory.get_host("web1")
    given = {"_env": {"A": "1"}, "path": "/srv"}
    found, keys = arguments.pop_global_arguments(state, host, given)
    assert (found["_sudo"], found["_env"], keys, given) == (
        True,
        {"A": "1"},
        ["_env"],
        {"path": "/srv"},
    )
