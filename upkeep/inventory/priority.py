"""How much a failure matters: P1 (the site is down) to P4, for checks, incidents and the SLA.

>>> Priority.P1.above(Priority.P2), Priority("P3").rank
(True, 3)
>>> read_priority(" p2 ")
'P2'
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Priority(StrEnum):
    """How urgent an incident is, P1 first."""

    P1 = "P1"  # production is down: a CRITICAL result that affects availability
    P2 = "P2"  # production has another CRITICAL or an UNKNOWN (a check cannot tell)
    P3 = "P3"  # a WARNING anywhere, or any problem outside production
    P4 = "P4"  # never by the default rule; a check may declare it (the error page)

    @property
    def rank(self) -> int:
        """1 for P1: the lower, the more urgent."""
        return int(self.value[1:])

    def above(self, other: Priority) -> bool:
        """Whether this is more urgent than ``other``."""
        return self.rank < other.rank


def read_priority(value: Any) -> Any:
    """A priority as people write it in YAML (``p1``, `` P2 ``), for a BeforeValidator."""
    names = ", ".join(p.value for p in Priority)
    if isinstance(value, str) and value.strip().upper() in {p.value for p in Priority}:
        return value.strip().upper()
    if isinstance(value, Priority):
        return value
    raise ValueError(f"{str(value)[:20]!r} is not a priority (use one of {names})")
