"""The runner reads a fact from the hosts it names, each with its own arguments (pyinfra's
``@local`` connector stands in for a server: the same fact code, run on this machine)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pyinfra.facts.files import File

from upkeep.runner import Runner, Target


@dataclass(frozen=True)
class LocalHost:
    name: str = "@local"
    address: str = "localhost"
    port: int = 22
    user: str = "root"
    key: Path | None = None
    known_hosts: Path | None = None
    sudo: bool = False


def test_each_named_host_is_asked_with_its_own_arguments(tmp_path: Path) -> None:
    (tmp_path / "here").write_text("x")
    with Runner([Target("dev", LocalHost())]) as runner:
        here = runner.facts_each(File, {"@local": {"path": str(tmp_path / "here")}})
        gone = runner.facts_each(File, {"@local": {"path": str(tmp_path / "gone")}})
        nobody = runner.facts_each(File, {"web9": {"path": str(tmp_path / "here")}})
    assert here["@local"]["size"] == 1
    assert gone == {"@local": None}
    assert nobody == {}
