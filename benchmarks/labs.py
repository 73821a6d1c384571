"""What the lab benchmarks share: an operator repository of their own, like a fork, and
the CPU the lab's hosts spend."""

from __future__ import annotations

from pathlib import Path

import git

from upkeep import lab
from upkeep.lab import engine
from upkeep.lab.spec import LABEL
from upkeep.workspace import Workspace


def operator_repo(root: Path) -> Workspace:
    """``root`` as an operator repository: inventories/ under git, one commit."""
    (root / "inventories").mkdir(parents=True)
    repo = git.Repo.init(root, initial_branch="main")
    (root / "README.md").write_text("benchmark operator repository\n")
    repo.index.add(["README.md"])
    repo.index.commit("start")
    return Workspace(root)


def hosts_cpu_seconds(spec: lab.LabSpec) -> float:
    """CPU seconds the demo's host containers have used since they started, all together.

    Measured before and after a run, the difference is the run's work on the hosts
    (package scripts, sshd, sudo): on a machine of N cores, a run that needs C such
    seconds takes at least C / N seconds however little it waits.
    """
    client = engine.connect(spec.state_dir)
    names = {spec.container_name(member) for member in spec.demo_members()}
    total = 0
    for container in client.containers.list(filters={"label": f"{LABEL}={spec.name}"}):
        if container.name in names:
            total += container.stats(stream=False)["cpu_stats"]["cpu_usage"]["total_usage"]
    return total / 1e9
