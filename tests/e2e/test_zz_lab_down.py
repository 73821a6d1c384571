"""Runs last (file order): the lab goes away and leaves nothing behind."""

from __future__ import annotations

from upkeep.cli.main import main
from upkeep.lab import engine

from .conftest import RunningLab


def test_lab_down_removes_everything_it_made_and_nothing_else(running_lab: RunningLab) -> None:
    client = engine.connect(running_lab.spec.state_dir)
    name = running_lab.spec.name
    decoy = client.volumes.create(f"{name}-decoy")  # same prefix, not the lab's
    try:
        assert main(["lab", "down"]) == 0
        label = {"label": f"upkeep.lab={name}"}
        assert client.containers.list(all=True, filters=label) == []
        assert client.networks.list(filters=label) == []
        assert client.volumes.list(filters=label) == []
        assert [
            c.name for c in client.containers.list(all=True) if c.name.startswith(f"{name}-")
        ] == []
        assert f"{name}-decoy" in [v.name for v in client.volumes.list()]
        assert main(["lab", "down"]) == 0  # nothing left: still fine
    finally:
        decoy.remove(force=True)
