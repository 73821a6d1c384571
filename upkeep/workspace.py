"""Where things live: the operator repository and upkeep's own state.

The operator repository is the directory holding ``inventories/`` (this
repository, forked by an agency). It is found from ``--root``, then
``UPKEEP_ROOT``, then the current directory and its parents.

    >>> from pathlib import Path
    >>> Workspace(Path("/srv/ops")).inventories
    PosixPath('/srv/ops/inventories')
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from upkeep.errors import UsageError


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def inventories(self) -> Path:
        return self.root / "inventories"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def cache(self) -> Path:
        return self.root / ".cache"


def find_workspace(explicit: str | None = None, cwd: Path | None = None) -> Workspace:
    """The operator repository for this run, or a UsageError saying how to point at one."""
    given = explicit or os.environ.get("UPKEEP_ROOT")
    if given:
        root = Path(given).expanduser().resolve()
        if not (root / "inventories").is_dir():
            raise UsageError(f"{root}: no inventories/ directory here (from --root/UPKEEP_ROOT)")
        return Workspace(root)
    start = (cwd or Path.cwd()).resolve()
    for candidate in (start, *start.parents):
        if (candidate / "inventories").is_dir():
            return Workspace(candidate)
    raise UsageError(
        f"{start}: not inside an upkeep repository (no inventories/ directory found); "
        "run from the repository or pass --root DIR"
    )


def state_home() -> Path:
    """upkeep's per-user state (lab keys, journals), outside any repository."""
    base = os.environ.get("UPKEEP_STATE_DIR")
    if base:
        return Path(base).expanduser()
    xdg = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(xdg) / "upkeep"
