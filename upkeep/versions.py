"""PHP builds as Debian names them, compared with ``packaging``.

A build is the Debian version of the php<line>-* packages: the upstream PHP
version and Debian's revision. Its line is major.minor.

    >>> build = PhpBuild.parse("8.2.32-1~deb12u1")
    >>> build.line, str(build.upstream)
    ('8.2', '8.2.32')
    >>> PhpBuild.parse("8.2.36-1~deb12u1") > build
    True
    >>> build.is_minor_update_to(PhpBuild.parse("8.2.36-1~deb12u1"))
    True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

from packaging.version import InvalidVersion, Version

_BUILD = re.compile(
    r"^(?:(?P<epoch>\d+):)?(?P<upstream>\d+\.\d+\.\d+)(?:-(?P<revision>[A-Za-z0-9.+~]+))?$"
)


class InvalidBuild(ValueError):
    pass


@total_ordering
@dataclass(frozen=True)
class PhpBuild:
    text: str
    upstream: Version
    revision: str

    @classmethod
    def parse(cls, text: str) -> PhpBuild:
        match = _BUILD.match(text.strip())
        if not match:
            raise InvalidBuild(f"{text!r} is not a PHP package version like 8.2.32-1~deb12u1")
        try:
            upstream = Version(match["upstream"])
        except InvalidVersion:
            raise InvalidBuild(f"{text!r}: {match['upstream']!r} is not a version") from None
        return cls(text.strip(), upstream, match["revision"] or "")

    @property
    def line(self) -> str:
        return f"{self.upstream.major}.{self.upstream.minor}"

    def is_minor_update_to(self, other: PhpBuild) -> bool:
        """Whether ``other`` is newer on the same line (what a subscription covers)."""
        return other.line == self.line and other > self

    def _key(self) -> tuple[Version, tuple[tuple[int, str], ...]]:
        return self.upstream, _revision_key(self.revision)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, PhpBuild):
            return NotImplemented
        return self._key() < other._key()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PhpBuild):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        return self.text


def _revision_key(revision: str) -> tuple[tuple[int, str], ...]:
    """An ordering for Debian revisions good enough for one package's builds.

    Digits compare as numbers; '~' sorts before anything (1~deb12u1 < 1).
    """
    parts = re.findall(r"\d+|~|[^\d~]+", revision)
    key = []
    for part in parts:
        if part == "~":
            key.append((-1, ""))
        elif part.isdigit():
            key.append((1, f"{int(part):010d}"))
        else:
            key.append((0, part))
    key.append((0, ""))  # end of string sorts after '~' and before more text
    return tuple(key)


def newest(builds: list[PhpBuild], line: str) -> PhpBuild | None:
    """The newest build on ``line``, or None when the line has none."""
    on_line = [b for b in builds if b.line == line]
    return max(on_line) if on_line else None
