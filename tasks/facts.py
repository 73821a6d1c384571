"""Facts of our own: tiny classes with a guarded command, a process() and a default.

>>> info = ReleaseState().process(["current=releases/20261123000000",
...                                 "release=20261122000000 " + "d" * 40,
...                                 "release=20261123000000 " + "a" * 40])
>>> info.current, info.releases, info.commit == "a" * 40
('20261123000000', ('20261122000000', '20261123000000'), True)
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass

from pyinfra.api import FactBase

# Our release ids are UTC timestamps, YYYYmmddHHMMSS (tasks.release.new_release_id).
RELEASE_ID = re.compile(r"[0-9]{14}")
# A git object name: SHA-1 or SHA-256, lower-case hex.
COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
# The same 14 digits as a shell glob: a name it matches cannot hold a space, a quote or a slash.
RELEASE_GLOB = "[0-9]" * 14


def is_release_id(name: str | None) -> bool:
    """True for a name that can be one of our release ids (and so is safe in any shell line)."""
    return name is not None and RELEASE_ID.fullmatch(name) is not None


def is_commit(name: str | None) -> bool:
    return name is not None and COMMIT.fullmatch(name) is not None


@dataclass(frozen=True)
class ReleaseInfo:
    current: str | None = None  # release id `current` points at
    commit: str | None = None  # the commit in that release's REVISION
    releases: tuple[str, ...] = ()  # every release directory, oldest first
    bad: tuple[str, ...] = ()  # releases marked BAD_RELEASE
    revisions: tuple[tuple[str, str], ...] = ()  # (release, commit) of every release
    ignored: tuple[str, ...] = ()  # what the host showed that is not ours, shown with repr()

    def commit_of(self, release: str) -> str | None:
        return dict(self.revisions).get(release)


class ReleaseState(FactBase[ReleaseInfo]):
    """The Deployer-style release layout under a site's base directory.

    Everything here was written where the site user may once have had a hand,
    so nothing is trusted: only real directories named like our release ids
    are listed, only ``releases/<id>`` counts as a `current`, only hex as a
    commit; anything else is kept aside in ``ignored`` and never reaches a
    command line.
    """

    def command(self, base_dir: str = "/nonexistent") -> str:
        base = shlex.quote(base_dir)
        return (
            f"cd {base} 2>/dev/null || exit 0; "
            # One line each, whatever a name holds: newlines in it are dropped.
            "echo \"current=$(readlink current 2>/dev/null | tr -d '\\n')\"; "
            f"for d in releases/{RELEASE_GLOB}; do "
            '[ -d "$d" ] && [ ! -L "$d" ] || continue; r=${d#releases/}; '
            'rev=; [ -f "$d/REVISION" ] && [ ! -L "$d/REVISION" ] && '
            "rev=$(head -c 100 \"$d/REVISION\" | tr -d '\\n'); "
            'echo "release=$r $rev"; '
            '[ -e "$d/BAD_RELEASE" ] || [ -L "$d/BAD_RELEASE" ] && echo "bad=$r"; done; true'
        )

    @staticmethod
    def default() -> ReleaseInfo:
        return ReleaseInfo()

    def process(self, output: Iterable[str]) -> ReleaseInfo:
        current = None
        releases: list[str] = []
        bad: list[str] = []
        revisions: list[tuple[str, str]] = []
        ignored: list[str] = []
        for line in output:
            key, _, value = line.rstrip("\n").partition("=")
            if key == "current" and value:
                current = _release_of_current(value)
                if current is None:
                    ignored.append(f"current -> {value!r}")
            elif key == "release":
                release, _, revision = value.partition(" ")
                if not is_release_id(release):
                    ignored.append(f"release {release!r}")
                    continue
                releases.append(release)
                if is_commit(revision.strip()):
                    revisions.append((release, revision.strip()))
            elif key == "bad" and is_release_id(value):
                bad.append(value)
        releases.sort()
        known = set(releases)
        if current not in known:
            current = None
        commit = dict(revisions).get(current) if current else None
        return ReleaseInfo(
            current,
            commit,
            tuple(releases),
            tuple(sorted(b for b in bad if b in known)),
            tuple(sorted(revisions)),
            tuple(ignored),
        )


def _release_of_current(target: str) -> str | None:
    """The release id in `current`'s target, which we always write as ``releases/<id>``."""
    prefix, _, release = target.partition("/")
    return release if prefix == "releases" and is_release_id(release) else None


class PhpCandidates(FactBase[tuple[str, ...]]):
    """The builds of php<line>-fpm the host's package sources offer, as apt lists them."""

    def requires_command(self, line: str = "") -> str:
        return "apt-cache"

    def command(self, line: str = "8.2") -> str:
        return f"apt-cache madison php{shlex.quote(line)}-fpm"

    @staticmethod
    def default() -> tuple[str, ...]:
        return ()

    def process(self, output: Iterable[str]) -> tuple[str, ...]:
        versions = []
        for line in output:
            parts = [part.strip() for part in line.split("|")]
            if len(parts) >= 2 and parts[1] and parts[1] not in versions:
                versions.append(parts[1])
        return tuple(versions)


class FileChecksums(FactBase[dict[str, str | None]]):
    """sha256 of each file, None for a file that is missing."""

    def command(self, paths: tuple[str, ...] = ()) -> str:
        quoted = " ".join(shlex.quote(path) for path in paths) or "/dev/null"
        return (
            f'for f in {quoted}; do if [ -f "$f" ]; then sha256sum "$f"; else echo "- $f"; fi; done'
        )

    @staticmethod
    def default() -> dict[str, str | None]:
        return {}

    def process(self, output: Iterable[str]) -> dict[str, str | None]:
        sums: dict[str, str | None] = {}
        for line in output:
            digest, _, path = line.strip().partition(" ")
            path = path.strip().lstrip("*")
            if path:
                sums[path] = None if digest == "-" else digest
        return sums


class EffectivePhpIni(FactBase[dict[str, str]]):
    """The php.ini values PHP-FPM starts with (its php.ini and conf.d), as PHP reads them."""

    def requires_command(self, line: str = "8.2") -> str:
        return f"php{line}"

    def command(self, line: str = "8.2") -> str:
        q = shlex.quote(line)
        script = 'foreach (ini_get_all(null, false) as $k => $v) { echo $k, "=", $v, "\\n"; }'
        return (
            f"PHP_INI_SCAN_DIR=/etc/php/{q}/fpm/conf.d php{q} -c /etc/php/{q}/fpm/php.ini "
            f"-r {shlex.quote(script)}"
        )

    @staticmethod
    def default() -> dict[str, str]:
        return {}

    def process(self, output: Iterable[str]) -> dict[str, str]:
        values = {}
        for line in output:
            key, sep, value = line.partition("=")
            if sep:
                values[key.strip()] = value.strip()
        return values


class ReleasesNotRootOwned(FactBase[tuple[str, ...]]):
    """Release trees that hold anything root does not own, or that others may write.

    Hosts provisioned before releases became root's own (the site user owned
    them); the next provision hands them to root.
    """

    def command(self, base_dir: str = "/nonexistent") -> str:
        base = shlex.quote(base_dir)
        return (
            f"cd {base}/releases 2>/dev/null || exit 0; "
            f"for d in {RELEASE_GLOB}; do "
            '[ -d "$d" ] && [ ! -L "$d" ] || continue; '
            'if [ -n "$(find "$d" \\( ! -user root -o ! -group root '
            '-o \\( ! -type l -perm /022 \\) \\) -print -quit)" ]; then echo "$d"; fi; done; true'
        )

    @staticmethod
    def default() -> tuple[str, ...]:
        return ()

    def process(self, output: Iterable[str]) -> tuple[str, ...]:
        return tuple(sorted(line.strip() for line in output if is_release_id(line.strip())))


@dataclass(frozen=True)
class Account:
    """What of a user pyinfra's ``server.user`` compares: its home, shell and primary group."""

    home: str | None
    shell: str | None
    group: str


class UserAccount(FactBase[Account | None]):
    """One user as pyinfra's ``Users`` fact sees it (its line in /etc/passwd, ``id -gn``),
    None when there is no such user. ``Users`` walks every user, their groups, last login
    and password: most of a no-op check's CPU on the host, for the one user we manage."""

    def command(self, user: str = "") -> str:
        name = shlex.quote(user)
        return (
            f"awk -F: -v u={name} '$1 == u' /etc/passwd | head -1 | "
            f'while IFS= read -r entry; do echo "$entry|$(id -gn {name})"; done'
        )

    @staticmethod
    def default() -> None:
        return None

    def process(self, output: Iterable[str]) -> Account | None:
        for line in output:
            entry, _, group = line.rpartition("|")
            fields = entry.split(":")
            if len(fields) == 7:
                return Account(home=fields[5] or None, shell=fields[6] or None, group=group)
        return None
