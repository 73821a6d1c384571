"""File facts of many paths read by one command give what pyinfra's own get_fact gives for
each path (pyinfra's ``@local`` connector stands in for a server: the same fact code, run on
this machine)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pyinfra.api import FactBase
from pyinfra.api.host import Host as PyinfraHost
from pyinfra.facts.files import Directory, File, Link, Sha1File

from tests.unit.test_runner_facts import LocalHost
from upkeep.provision.batched_facts import FactMissing, HostFacts
from upkeep.runner import Runner, Target


@pytest.fixture
def local_host() -> Iterator[PyinfraHost]:
    with Runner([Target("dev", LocalHost())]) as runner:
        yield runner.state.inventory.get_host("@local")


def paths_of_every_kind(root: Path) -> list[str]:
    """A file, a directory, links to each and to nothing, a path not there, odd names."""
    (root / "file").write_text("content\n")
    (root / "dir").mkdir()
    (root / "empty").write_text("")
    (root / "it's a $name with spaces").write_text("odd\n")
    os.symlink(root / "file", root / "link-to-file")
    os.symlink(root / "dir", root / "link-to-dir")
    os.symlink(root / "nothing", root / "dangling")
    names = ["file", "dir", "empty", "it's a $name with spaces", "link-to-file", "link-to-dir"]
    for written in ["file", "empty", "it's a $name with spaces"]:
        # Read once now: under relatime the first read moves atime (sha1sum's, mid-test),
        # and a second boundary between the two stats would tell them apart.
        (root / written).read_bytes()
    return [str(root / name) for name in [*names, "dangling", "missing"]]


def batched(host: PyinfraHost, asked: list[tuple[type[FactBase[Any]], str]]) -> HostFacts:
    facts = HostFacts(host)
    for cls, path in asked:
        with pytest.raises(FactMissing):
            facts.get_fact(cls, path=path)
    facts.read_asked()
    return facts


def test_one_command_answers_every_kind_of_path_as_pyinfra_does(
    local_host: PyinfraHost, tmp_path: Path
) -> None:
    paths = paths_of_every_kind(tmp_path)
    hashable = [path for path in paths if not path.endswith("dir")]  # sha1sum fails on those
    asked = [(cls, path) for cls in [File, Directory, Link] for path in paths]
    asked += [(Sha1File, path) for path in hashable]
    facts = batched(local_host, asked)
    got = {(cls.__name__, path): facts.get_fact(cls, path=path) for cls, path in asked}
    pyinfras = {(cls.__name__, path): local_host.get_fact(cls, path=path) for cls, path in asked}
    assert got == pyinfras
    assert facts.reads == 1
    # Not vacuous: each kind found what it is about, and missed what it is not.
    assert got["File", str(tmp_path / "file")]["size"] == 8
    assert got["Directory", str(tmp_path / "file")] is False
    assert got["Link", str(tmp_path / "dangling")]["link_target"] == str(tmp_path / "nothing")
    assert got["Sha1File", str(tmp_path / "empty")] == "da39a3ee5e6b4b0d3255bfef95601890afd80709"
    assert got["File", str(tmp_path / "missing")] is None


def test_a_shared_read_it_cannot_vouch_for_is_read_again_one_by_one(
    local_host: PyinfraHost, tmp_path: Path
) -> None:
    """sha1sum of a directory fails and leaves a line out: each path is then asked alone."""
    paths = paths_of_every_kind(tmp_path)
    facts = batched(local_host, [(Sha1File, path) for path in paths])
    assert facts.reads == 2
    assert {path: facts.get_fact(Sha1File, path=path) for path in paths} == {
        path: local_host.get_fact(Sha1File, path=path) for path in paths
    }


def test_paths_the_tools_print_their_own_way_are_read_alone(
    local_host: PyinfraHost, tmp_path: Path
) -> None:
    odd = [tmp_path / "back\\slash", tmp_path / "new\nline"]
    for path in odd:
        path.write_text("x")
    facts = HostFacts(local_host)
    for path in odd:
        with pytest.raises(FactMissing):
            facts.get_fact(Sha1File, path=str(path))
    assert [request.tool for request in facts.asked.values()] == [None, None]
