"""PHP lines (major.minor) as the estimate reasons about them.

A major upgrade goes from one line to a later one; the changes that count are
those of every line in (from, to].

    >>> PhpLine.parse("7.4") < PhpLine.parse("8.2")
    True
    >>> [str(line) for line in steps(PhpLine.parse("7.4"), PhpLine.parse("8.2"))]
    ['8.0', '8.1', '8.2']
    >>> str(PhpLine.from_build("8.2.32-1~deb12u1"))
    '8.2'
"""

from __future__ import annotations

from dataclasses import dataclass

from upkeep.estimate.errors import BadVersion

# Every line the catalogue covers, oldest first. 5.6 is only ever a starting point.
KNOWN_LINES: tuple[tuple[int, int], ...] = (
    (5, 6),
    (7, 0),
    (7, 1),
    (7, 2),
    (7, 3),
    (7, 4),
    (8, 0),
    (8, 1),
    (8, 2),
    (8, 3),
    (8, 4),
)


@dataclass(frozen=True, order=True)
class PhpLine:
    major: int
    minor: int

    @classmethod
    def parse(cls, text: str) -> PhpLine:
        """``"8.2"`` → PhpLine(8, 2); anything else, or a line we do not know, is BadVersion."""
        parts = str(text).strip().split(".")
        if len(parts) != 2 or not all(part.isdigit() for part in parts):
            raise BadVersion(f"{text!r} is not a PHP line like 7.4 or 8.2")
        line = cls(int(parts[0]), int(parts[1]))
        if (line.major, line.minor) not in KNOWN_LINES:
            known = ", ".join(f"{a}.{b}" for a, b in KNOWN_LINES)
            raise BadVersion(f"PHP {line} is not a line the estimate knows (known: {known})")
        return line

    @classmethod
    def parse_loose(cls, text: str) -> PhpLine:
        """Any X.Y, known or not: the catalogue also names lines before 5.6 (``5.5``)."""
        parts = str(text).strip().split(".")
        if len(parts) != 2 or not all(part.isdigit() for part in parts):
            raise BadVersion(f"{text!r} is not a PHP line like 7.4 or 8.2")
        return cls(int(parts[0]), int(parts[1]))

    @classmethod
    def from_build(cls, build: str) -> PhpLine:
        """The line of a full version or Debian build: ``8.2.32-1~deb12u1`` → 8.2."""
        core = build.strip().split(":")[-1].split("-")[0].split("+")[0]
        parts = core.split(".")
        if len(parts) < 2:
            raise BadVersion(f"{build!r} is not a PHP version like 8.2.32")
        return cls.parse(f"{parts[0]}.{parts[1]}")

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


ALL_LINES: tuple[PhpLine, ...] = tuple(PhpLine(a, b) for a, b in KNOWN_LINES)
OLDEST = ALL_LINES[0]
NEWEST = ALL_LINES[-1]


def steps(from_line: PhpLine, to_line: PhpLine) -> tuple[PhpLine, ...]:
    """The lines in (from, to]: each one's migration guide applies to the upgrade."""
    return tuple(line for line in ALL_LINES if from_line < line <= to_line)


def check_upgrade(from_line: PhpLine, to_line: PhpLine) -> None:
    """A major upgrade must move forward; same line or backwards is bad input."""
    if to_line <= from_line:
        raise BadVersion(
            f"--to {to_line} must be a later line than --from {from_line} "
            "(an estimate covers a major upgrade forward)"
        )


def in_range(version: PhpLine | None, from_line: PhpLine, to_line: PhpLine) -> bool:
    """Whether a change made in ``version`` lands in (from, to]."""
    return version is not None and from_line < version <= to_line
