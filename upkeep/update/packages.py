"""The PHP packages on a host, as shell scripts and their parsed output.

What is installed (exactly: name and Debian version), the .deb files of those
exact versions kept on the host before an update — so a rollback reinstalls
them with ``dpkg -i`` and needs no network — and the changelog of an offered
build, read from its own .deb.

    >>> parse_installed("php8.2-fpm\\t8.2.32-1~deb12u1\\tii \\nphp8.2-gd\\t8.2.32-1~deb12u1\\trc \\n")
    {'php8.2-fpm': '8.2.32-1~deb12u1'}
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping

from tasks.php import QUIET_APT


def installed_script(line: str) -> str:
    pattern = shlex.quote(f"php{line}*")
    return f"dpkg-query -W -f='${{Package}}\\t${{Version}}\\t${{db:Status-Abbrev}}\\n' {pattern}"


def parse_installed(output: str) -> dict[str, str]:
    """Installed packages (status ``ii``) and their versions."""
    packages = {}
    for line in output.splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and parts[2].strip() == "ii":
            packages[parts[0]] = parts[1]
    return packages


def keep_debs_script(directory: str, packages: Mapping[str, str]) -> str:
    """Download the .deb of each package at its installed version into ``directory``."""
    specs = " ".join(shlex.quote(f"{name}={version}") for name, version in sorted(packages.items()))
    d = shlex.quote(directory)
    return (
        f"set -euo pipefail; mkdir -p {d}; cd {d}; chown _apt {d} 2>/dev/null || true; "
        f"apt-get download -q {specs} >/dev/null; "
        f'test "$(ls -1 *.deb | wc -l)" -eq {len(packages)}; ls -1 *.deb'
    )


def reinstall_script(directory: str, line: str) -> str:
    """Install the kept .debs (no network), then reload PHP-FPM gracefully."""
    env = " ".join(f"{key}={value}" for key, value in QUIET_APT.items())
    d = shlex.quote(directory)
    return (
        f'set -euo pipefail; test -n "$(ls {d}/*.deb 2>/dev/null)"; '
        f"{env} DEBIAN_FRONTEND=noninteractive dpkg -i {d}/*.deb >/dev/null; "
        f"systemctl reload-or-restart php{line}-fpm"  # started if it had stopped
    )


def changelog_script(line: str, build: str) -> str:
    """The Debian changelog of ``build``, from its php<line>-common .deb (a temporary download)."""
    package = f"php{line}-common"
    spec = shlex.quote(f"{package}={build}")
    inside = shlex.quote(f"./usr/share/doc/{package}/changelog.Debian.gz")
    return (
        'set -euo pipefail; tmp=$(mktemp -d); trap \'rm -rf "$tmp"\' EXIT; cd "$tmp"; '
        f'chown _apt "$tmp"; apt-get download -q {spec} >/dev/null; '
        f"dpkg-deb --fsys-tarfile ./*.deb | tar -xO {inside} | gunzip"
    )
