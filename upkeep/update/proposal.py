"""``upkeep update minor --check``: what production's package sources offer, read on the host.

The pinned build is compared (``upkeep.update.discover``) with the builds of
the same line that ``apt-cache madison`` lists on production after an
``apt-get update`` (which changes only apt's lists); other PHP lines the host
offers are named as the major path. When a minor update exists, the Debian
changelog entries it brings come from the offered .deb itself, for the
security notes.

    >>> other_lines("php8.2-fpm\\nphp8.3-fpm\\nphp8.3-fpm-dbgsym\\nphp-fpm\\n")
    ['8.2', '8.3']
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tasks.facts import PhpCandidates
from upkeep.errors import RunFailed, UsageError
from upkeep.inventory import Project
from upkeep.inventory.pins import Pins
from upkeep.ssh import check_root
from upkeep.update import changelog, packages
from upkeep.update.discover import Proposal, propose

Say = Callable[[str], None]
_FPM = re.compile(r"^php(\d+\.\d+)-fpm$")


@dataclass(frozen=True)
class UpdateCheck:
    project: str
    host: str  # where the offer was read
    proposal: Proposal
    notes: tuple[changelog.Entry, ...] = ()  # changelog entries the update brings
    notes_error: str | None = None  # why there are none, when reading them failed

    @property
    def cves(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(cve for entry in self.notes for cve in entry.cves))

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "host": self.host,
            "pinned": self.proposal.pinned,
            "offered": self.proposal.offered,
            "kind": str(self.proposal.kind),
            "available": self.proposal.available,
            "newer_lines": list(self.proposal.newer_lines),
            "summary": self.proposal.summary(),
            "security": [entry.summary() for entry in self.notes],
            "cves": list(self.cves),
            "notes_error": self.notes_error,
        }


def check_for_update(project: Project, pins: Pins, say: Say = lambda _: None) -> UpdateCheck:
    pinned = pins.get("production").php_build
    if not pinned:
        raise UsageError(f"{project.name} production has no PHP build pinned: provision it first")
    host = project.environment("production").hosts[0]
    line = project.php.line
    say(f"reading the PHP {line} builds production's package sources offer ({host.name})")
    check_root(host, "apt-get update -qq", "refreshing apt's package lists")
    madison = check_root(host, f"apt-cache madison php{line}-fpm", "listing PHP builds")
    offered = PhpCandidates().process(madison.splitlines())
    names = check_root(host, "apt-cache pkgnames php", "listing PHP lines")
    proposal = propose(pinned, offered, other_lines(names))
    if not proposal.available:
        return UpdateCheck(project.name, host.name, proposal)
    assert proposal.offered is not None
    try:
        text = check_root(
            host, packages.changelog_script(line, proposal.offered), "reading the changelog"
        )
    except RunFailed as failure:
        return UpdateCheck(project.name, host.name, proposal, (), str(failure))
    notes = changelog.between(changelog.parse(text), pinned, proposal.offered)
    return UpdateCheck(project.name, host.name, proposal, tuple(notes))


def other_lines(pkgnames: str) -> list[str]:
    """The PHP lines whose FPM package the host's sources know."""
    return sorted({m.group(1) for name in pkgnames.split() if (m := _FPM.match(name))})
