"""Facts of our own: tiny classes with a guarded command, a process() and a default.

>>> info = ReleaseState().process(["current=releases/20261123", "commit=abc123",
...                                 "release=20261122 def456", "release=20261123 abc123"])
>>> info.current, info.releases, info.commit_of("20261122")
('20261123', ('20261122', '20261123'), 'def456')
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import dataclass

from pyinfra.api import FactBase


@dataclass(frozen=True)
class ReleaseInfo:
    current: str | None = None  # release id `current` points at
    commit: str | None = None  # the commit in that release's REVISION
    releases: tuple[str, ...] = ()  # every release directory, oldest first
    bad: tuple[str, ...] = ()  # releases marked BAD_RELEASE
    revisions: tuple[tuple[str, str], ...] = ()  # (release, commit) of every release

    def commit_of(self, release: str) -> str | None:
        return dict(self.revisions).get(release)


class ReleaseState(FactBase[ReleaseInfo]):
    """The Deployer-style release layout under a site's base directory."""

    def command(self, base_dir: str = "/nonexistent") -> str:
        base = shlex.quote(base_dir)
        return (
            f"cd {base} 2>/dev/null || exit 0; "
            'echo "current=$(readlink current 2>/dev/null)"; '
            'echo "commit=$(cat current/REVISION 2>/dev/null)"; '
            'for d in releases/*/; do [ -d "$d" ] || continue; r=${d#releases/}; r=${r%/}; '
            'echo "release=$r $(cat "$d/REVISION" 2>/dev/null)"; '
            '[ -e "$d/BAD_RELEASE" ] && echo "bad=$r"; done; true'
        )

    @staticmethod
    def default() -> ReleaseInfo:
        return ReleaseInfo()

    def process(self, output: Iterable[str]) -> ReleaseInfo:
        current = commit = None
        releases: list[str] = []
        bad: list[str] = []
        revisions: list[tuple[str, str]] = []
        for line in output:
            key, _, value = line.strip().partition("=")
            if key == "current" and value:
                current = value.rstrip("/").rsplit("/", 1)[-1]
            elif key == "commit" and value:
                commit = value
            elif key == "release":
                release, _, revision = value.partition(" ")
                releases.append(release)
                if revision:
                    revisions.append((release, revision))
            elif key == "bad":
                bad.append(value)
        return ReleaseInfo(
            current, commit, tuple(sorted(releases)), tuple(sorted(bad)), tuple(sorted(revisions))
        )


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
