"""A PHP build's packages in apt's cache before the window: downloaded and verified, not installed.

Moving production to a new build is mostly waiting for the download, and the
download is the part that needs the network. So an update fetches the .deb of
every installed php<line>-* package at the new build into apt's own cache
(/var/cache/apt/archives) beforehand; apt checks each against the signed
package lists as it always does. The window then only unpacks from the cache
and reloads PHP-FPM. Nothing a site sees changes here, and a second run finds
everything cached and does nothing.

>>> InstalledPhp().process(["php8.2-fpm\\t8.2.32-1~deb12u1\\tii ", "php8.2-gd\\t8.2.32-1~deb12u1\\trc "])
{'php8.2-fpm': '8.2.32-1~deb12u1'}
"""

from __future__ import annotations

import shlex
from collections.abc import Generator, Iterable, Sequence

from pyinfra import host
from pyinfra.api import FactBase, deploy, operation
from pyinfra.operations import apt

from upkeep.desired import SiteState


class InstalledPhp(FactBase[dict[str, str]]):
    """The installed (``ii``) php<line>* packages and their exact versions; removed ones
    whose configuration stays (``rc``) are not installed."""

    def requires_command(self, line: str = "") -> str:
        return "dpkg-query"

    def command(self, line: str = "8.2") -> str:
        pattern = shlex.quote(f"php{line}*")
        return (
            f"dpkg-query -W -f='${{Package}}\\t${{Version}}\\t${{db:Status-Abbrev}}\\n' {pattern}"
        )

    @staticmethod
    def default() -> dict[str, str]:
        return {}

    def process(self, output: Iterable[str]) -> dict[str, str]:
        packages = {}
        for line in output:
            parts = line.split("\t")
            if len(parts) == 3 and parts[2].strip() == "ii":
                packages[parts[0]] = parts[1]
        return packages


class DebsToFetch(FactBase[tuple[str, ...]]):
    """The .deb files apt would still download to install ``specs`` (``name=version``):
    what its cache already holds is not listed. Asks apt, so dependencies count too."""

    def requires_command(self, specs: Sequence[str] = ()) -> str:
        return "apt-get"

    def command(self, specs: Sequence[str] = ()) -> str:
        return f"apt-get install --print-uris -qq --no-install-recommends {_quoted(specs)}"

    @staticmethod
    def default() -> tuple[str, ...]:
        return ()

    def process(self, output: Iterable[str]) -> tuple[str, ...]:
        # One line a file: 'URI' FILENAME SIZE [HASH]
        return tuple(line.split()[1] for line in output if line.startswith("'"))


def _quoted(specs: Sequence[str]) -> str:
    return " ".join(shlex.quote(spec) for spec in specs)


def build_specs(installed: Iterable[str], build: str) -> list[str]:
    """``name=build`` for each installed package, in a stable order."""
    return [f"{name}={build}" for name in sorted(installed)]


CACHED = "packages in apt's cache"  # the operation's name ends so


@operation()
def build_prefetched(line: str, build: str) -> Generator[str, None, None]:
    """Every installed php<line>* package's .deb at ``build`` in apt's cache; nothing installed."""
    installed = host.get_fact(InstalledPhp, line=line)
    if not installed:
        host.noop(f"no PHP {line} package installed")
        return
    specs = build_specs(installed, build)
    if not host.get_fact(DebsToFetch, specs=specs):
        host.noop(f"PHP {build}: every package already in apt's cache")
        return
    yield f"apt-get install --download-only -y -q --no-install-recommends {_quoted(specs)}"


@deploy("PHP build prefetched")
def php_build_prefetched(site: SiteState) -> None:
    # Fresh package lists name the new build; the window's provision then needs no refresh.
    apt.update(name="Refresh package lists", cache_time=3600)
    build_prefetched(
        name=f"PHP {site.php_build} {CACHED}",
        line=site.php_line,
        build=site.php_build,
    )
