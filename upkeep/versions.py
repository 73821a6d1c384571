"""PHP builds as Debian names them, ordered exactly as dpkg orders them.

A build is the Debian version of the php<line>-* packages: an optional epoch,
the upstream PHP version and Debian's revision. Its line is the upstream
version's major.minor. Ordering is python-debian's implementation of dpkg's
algorithm (epoch first, ``~`` before everything, even the end of the string).

    >>> build = PhpBuild.parse("8.2.32-1~deb12u1")
    >>> build.line, str(build.upstream)
    ('8.2', '8.2.32')
    >>> PhpBuild.parse("8.2.36-1~deb12u1") > build
    True
    >>> build.is_minor_update_to(PhpBuild.parse("8.2.36-1~deb12u1"))
    True
    >>> PhpBuild.parse("1:8.2.1-1") > PhpBuild.parse("8.2.30-1")  # the epoch wins
    True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, total_ordering

from debian.debian_support import Version as DebianVersion

# Stricter than Debian's grammar on purpose: a build is also put into apt
# command lines, and other namings (8.2.40+sury1) are not the builds we pin,
# so only PHP-shaped versions (major.minor.patch, then a revision) pass.
_BUILD = re.compile(
    r"^(?:(?P<epoch>\d+):)?"
    r"(?P<upstream>\d+\.\d+\.\d+)"
    r"(?:-(?P<revision>[A-Za-z0-9.+~]+))?$"
)


class InvalidBuild(ValueError):
    pass


@total_ordering
@dataclass(frozen=True)
class PhpBuild:
    text: str
    upstream: str
    revision: str
    epoch: int = 0

    @classmethod
    def parse(cls, text: str) -> PhpBuild:
        stripped = text.strip()
        match = _BUILD.match(stripped)
        if not match:
            raise InvalidBuild(f"{text!r} is not a PHP package version like 8.2.32-1~deb12u1")
        try:
            DebianVersion(stripped)  # python-debian must accept it too, or it is not a build
        except ValueError:
            raise InvalidBuild(f"{text!r} is not a Debian package version") from None
        return cls(stripped, match["upstream"], match["revision"] or "", int(match["epoch"] or 0))

    @property
    def line(self) -> str:
        """The PHP line: the upstream version's major.minor (``1:8.2.1-1`` is on 8.2)."""
        major, minor = self.upstream.split(".")[:2]
        return f"{int(major)}.{int(minor)}"

    @cached_property
    def _version(self) -> DebianVersion:
        """python-debian's view of the build, which compares as dpkg does."""
        return DebianVersion(self.text)

    def is_minor_update_to(self, other: PhpBuild) -> bool:
        """Whether ``other`` is newer on the same line (what a subscription covers)."""
        return other.line == self.line and other > self

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, PhpBuild):
            return NotImplemented
        return bool(self._version < other._version)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PhpBuild):
            return NotImplemented
        return bool(self._version == other._version)

    def __hash__(self) -> int:
        # dpkg calls different texts equal (8.2.1 == 0:8.2.1-0), so hash only
        # what equal builds always share.
        return hash((self.epoch, self.line))

    def __str__(self) -> str:
        return self.text


def newest(builds: list[PhpBuild], line: str) -> PhpBuild | None:
    """The newest build on ``line``, or None when the line has none."""
    on_line = [b for b in builds if b.line == line]
    return max(on_line) if on_line else None
