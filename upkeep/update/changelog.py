"""Security notes from a Debian changelog, between the pinned build and the new one.

The changelog ships inside the package (``/usr/share/doc/<pkg>/changelog.Debian.gz``),
so a host reads it from the .deb its own mirror serves: no other network needed.

    >>> text = '''php8.2 (8.2.36-1~deb12u1) bookworm-security; urgency=high
    ...
    ...   * New upstream version 8.2.36:
    ...     + [FPM] Fix CVE-2026-129289: PHP-FPM request smuggling.
    ...
    ...  -- A Maintainer <a@example.org>  Wed, 18 Nov 2026 21:02:04 +0100
    ... '''
    >>> [(e.version, e.urgency, e.cves) for e in parse(text)]
    [('8.2.36-1~deb12u1', 'high', ('CVE-2026-129289',))]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from debian.changelog import ChangeBlock, Changelog

from upkeep.versions import InvalidBuild, PhpBuild

_CVE = re.compile(r"CVE-\d{4}-\d{4,}")


@dataclass(frozen=True)
class Entry:
    version: str
    distribution: str
    urgency: str
    items: tuple[str, ...]  # the entry's lines, joined where they wrap
    cves: tuple[str, ...]

    def summary(self) -> str:
        """One line: the version, its urgency and the CVEs it fixes."""
        fixes = f", fixes {', '.join(self.cves)}" if self.cves else ""
        return f"{self.version} ({self.distribution}, urgency {self.urgency or 'unknown'}){fixes}"


def parse(text: str) -> list[Entry]:
    """Every entry of a Debian changelog, newest first, as python-debian reads them.

    Not strict: a changelog is informative, and a line python-debian cannot
    place must not hide the security notes of the entries around it.
    """
    return [_entry(block) for block in Changelog(text, strict=False) if block.version]


def _entry(block: ChangeBlock) -> Entry:
    items = _items(block.changes())
    cves = tuple(dict.fromkeys(cve for item in items for cve in _CVE.findall(item)))
    return Entry(
        str(block.version), block.distributions or "", block.urgency or "", tuple(items), cves
    )


def _items(lines: list[str]) -> list[str]:
    """The bulleted items (``*``, ``+``, ``-``) of an entry, a wrapped line joined to its item."""
    items: list[str] = []
    for line in lines:
        stripped = line.strip()
        if stripped[:1] in "*+-" and stripped[1:2] == " ":
            items.append(stripped[2:])
        elif stripped and items:
            items[-1] += " " + stripped
    return items


def between(entries: list[Entry], pinned: str, offered: str) -> list[Entry]:
    """The entries an update from ``pinned`` to ``offered`` brings: versions in (pinned, offered]."""
    low, high = PhpBuild.parse(pinned), PhpBuild.parse(offered)
    chosen = []
    for entry in entries:
        try:
            version = PhpBuild.parse(entry.version)
        except InvalidBuild:
            continue
        if low < version <= high:
            chosen.append(entry)
    return chosen
