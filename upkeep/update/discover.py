"""What a minor update would do: the newest build on the pinned line, and why.

Versions are read on the hosts at run time (apt's candidates), compared with
the pin using ``packaging`` (through ``PhpBuild``), and classified: a newer
build on the same line is a minor update; a newer line is not applied here —
it is the major path, ``upkeep estimate``.

    >>> proposal = propose("8.2.32-1~deb12u1", ["8.2.36-1~deb12u1", "8.2.32-1~deb12u1"])
    >>> proposal.kind, proposal.offered
    (<Kind.MINOR: 'minor'>, '8.2.36-1~deb12u1')
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from upkeep.versions import InvalidBuild, PhpBuild, newest


class Kind(StrEnum):
    NONE = "none"  # the pinned build is the newest on its line
    MINOR = "minor"  # a newer build on the same line: what the subscription covers


@dataclass(frozen=True)
class Proposal:
    pinned: str
    offered: str | None
    kind: Kind
    newer_lines: tuple[str, ...] = ()  # lines beyond the pinned one the hosts also offer

    @property
    def available(self) -> bool:
        return self.kind is Kind.MINOR

    def summary(self) -> str:
        text = (
            f"PHP {self.pinned} → {self.offered}: a minor update on the same line"
            if self.available
            else f"PHP {self.pinned} is the newest build of its line the hosts offer"
        )
        if self.newer_lines:
            lines = ", ".join(self.newer_lines)
            text += f"; PHP {lines} is a major upgrade: see `upkeep estimate PROJECT --to X.Y`"
        return text


def propose(pinned: str, offered: Iterable[str], other_lines: Iterable[str] = ()) -> Proposal:
    """Compare the pin with what the hosts offer (builds that do not parse are skipped)."""
    current = PhpBuild.parse(pinned)
    builds = []
    for text in offered:
        try:
            builds.append(PhpBuild.parse(text))
        except InvalidBuild:
            continue
    best = newest(builds, current.line)
    newer_lines = tuple(
        sorted(
            {line for line in other_lines if _line_key(line) > _line_key(current.line)},
            key=_line_key,
        )
    )
    if best is None or not current.is_minor_update_to(best):
        return Proposal(pinned, None, Kind.NONE, newer_lines)
    return Proposal(pinned, best.text, Kind.MINOR, newer_lines)


def _line_key(line: str) -> tuple[int, int]:
    major, _, minor = line.partition(".")
    return int(major), int(minor or 0)
