"""What the lab benchmarks share: an operator repository of their own, like a fork."""

from __future__ import annotations

from pathlib import Path

import git

from upkeep.workspace import Workspace


def operator_repo(root: Path) -> Workspace:
    """``root`` as an operator repository: inventories/ under git, one commit."""
    (root / "inventories").mkdir(parents=True)
    repo = git.Repo.init(root, initial_branch="main")
    (root / "README.md").write_text("benchmark operator repository\n")
    repo.index.add(["README.md"])
    repo.index.commit("start")
    return Workspace(root)
