"""Whatever is in the file, the loader answers with problems, never a crash."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.inventory.test_cli import GOOD
from upkeep.errors import InventoryError, UsageError
from upkeep.inventory import check_files, load_file
from upkeep.inventory.model import Project
from upkeep.inventory.pins import parse as parse_pins

KNOWN_KEYS = [
    "project",
    "app",
    "kind",
    "repository",
    "docroot",
    "health_path",
    "keep_releases",
    "php",
    "line",
    "extensions",
    "ini",
    "database",
    "engine",
    "name",
    "user",
    "password",
    "secret",
    "dump_user",
    "dump_password",
    "shared_paths",
    "environments",
    "dev",
    "staging",
    "production",
    "domain",
    "tls",
    "ref",
    "hosts",
    "address",
    "port",
    "key",
    "known_hosts",
    "sudo",
    "php_build",
    "updated",
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["8.2", "main", "../x", "-x", "a b", "10.0.0.1", "::1", "", "~", "*"])
)
keys = st.sampled_from(KNOWN_KEYS) | st.text(max_size=10)
structures = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=25,
)
GOOD_DATA = yaml.safe_load(GOOD)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


GOOD_PATHS = _paths(GOOD_DATA)


def _replace(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    data = copy.deepcopy(data)
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return data


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("inventories")


def _answers_with_problems_only(folder: Path, text: str) -> None:
    path = folder / "shop.yml"
    path.write_text(text, encoding="utf-8")
    try:
        project = load_file(path)
    except (InventoryError, UsageError) as error:
        assert error.lines(), "an error must say what is wrong"
        assert all("\n" not in line for line in error.lines())
    else:
        assert isinstance(project, Project)
    problems = check_files([path])
    assert all(isinstance(line, str) and "\n" not in line for line in problems)
    _, pin_problems = parse_pins(text, "shop.pins.yml", "shop")
    assert all("\n" not in str(p) for p in pin_problems)


SETTINGS = settings(
    max_examples=int(os.environ.get("UPKEEP_FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@SETTINGS
@given(text=st.text(max_size=300))
def test_random_text(folder: Path, text: str) -> None:
    _answers_with_problems_only(folder, text)


@SETTINGS
@given(
    text=st.lists(
        st.sampled_from(
            [
                "a:",
                "  - ",
                "&x ",
                "*x",
                "<<: *x",
                "{",
                "}",
                "[",
                "]",
                "? ",
                ": ",
                "!!int ",
                "!tag ",
                "'",
                '"',
                "#",
                "\n",
                "  ",
                "---\n",
                "project: shop\n",
                "hosts:\n",
                "\t",
                "|\n",
                ">-\n",
            ]
        ),
        max_size=40,
    ).map("".join)
)
def test_random_yaml_fragments(folder: Path, text: str) -> None:
    _answers_with_problems_only(folder, text)


@SETTINGS
@given(data=structures)
def test_random_structures(folder: Path, data: Any) -> None:
    _answers_with_problems_only(folder, yaml.safe_dump(data, allow_unicode=True))


@SETTINGS
@given(path=st.sampled_from(GOOD_PATHS), value=structures)
def test_good_inventory_with_one_part_replaced(
    folder: Path, path: tuple[Any, ...], value: Any
) -> None:
    _answers_with_problems_only(folder, yaml.safe_dump(_replace(GOOD_DATA, path, value)))
