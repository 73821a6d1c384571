"""pyinfra's systemd facts of a host's services in one ``systemctl show``, not one each.

``systemd.service`` asks ``SystemdStatus`` and ``SystemdEnabled`` of its one
unit: six ``systemctl`` calls per host for nginx, PHP-FPM and MariaDB. Here one
call shows every unit asked with both properties, and each fact gets its unit's
block of ``KEY=value`` lines (the property it does not read is skipped by its
own ``process()``).

When the output does not split into one block per unit, each with that unit's
``Id`` (``systemctl`` missing or failing, an alias), ``split`` answers None and
the facts are read alone.

    >>> read = SystemdRead(["nginx.service", "nginx.service", "mariadb.service"])
    >>> read.split(0, ["Id=nginx.service", "SubState=running", "",
    ...                "Id=mariadb.service", "SubState=dead"])[1:]
    [(0, ['Id=nginx.service', 'SubState=running']), (0, ['Id=mariadb.service', 'SubState=dead'])]
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pyinfra.api import FactBase
from pyinfra.facts.systemd import SystemdEnabled, SystemdStatus

SYSTEMCTL = "systemctl"
# A unit named as it is, not a pattern ("*", "php*") nor anything systemctl reads as an option.
_UNIT = re.compile(r"[A-Za-z0-9_.:@][A-Za-z0-9_.:@\\-]*")
_OTHER_MANAGER = ("user_mode", "machine", "user_name")


def unit_of(fact: FactBase, fact_kwargs: dict[str, Any]) -> str | None:
    """The one unit this fact asks about, when it can be read with others; else None."""
    if type(fact) not in (SystemdStatus, SystemdEnabled):
        return None
    if any(fact_kwargs.get(name) for name in _OTHER_MANAGER):
        return None  # a user's manager or another machine: its own call
    services = fact_kwargs.get("services")
    if isinstance(services, (list, tuple)) and len(services) == 1:
        services = services[0]
    if not isinstance(services, str) or not _UNIT.fullmatch(services):
        return None
    return services


@dataclass(frozen=True)
class SystemdRead:
    """One ``systemctl show`` answering each of ``units`` (the same unit may come twice)."""

    units: Sequence[str]

    @property
    def command(self) -> str:
        # --all, as pyinfra's own: a unit that is not there still shows its block.
        return (
            "systemctl show --all --property Id --property SubState --property UnitFileState "
            + " ".join(shlex.quote(unit) for unit in dict.fromkeys(self.units))
        )

    def split(self, code: int, lines: list[str]) -> list[tuple[int, list[str]]] | None:
        """Each fact's unit's block, as its own call prints it; None if unsure."""
        blocks: list[list[str]] = [[]]
        for line in lines:
            if line:
                blocks[-1].append(line)
            elif blocks[-1]:
                blocks.append([])
        if not blocks[-1]:
            blocks.pop()
        distinct = list(dict.fromkeys(self.units))
        if code != 0 or len(blocks) != len(distinct):
            return None
        if any(
            [line for line in block if line.startswith("Id=")] != [f"Id={unit}"]
            for unit, block in zip(distinct, blocks, strict=True)
        ):
            return None  # not a block per unit in turn (or an alias: its Id is another name)
        shown = dict(zip(distinct, blocks, strict=True))
        return [(0, shown[unit]) for unit in self.units]
