"""The PHP packages on a host, as shell scripts and their parsed output.

What is installed (exactly: name and Debian version), the .deb files of those
exact versions kept on the host before an update — so a rollback reinstalls
them with ``dpkg -i`` and needs no network — the new build installed from
apt's cache where the prefetch put it (no network either), and the changelog
of an offered build, read from its own .deb.

    >>> parse_installed("php8.2-fpm\\t8.2.32-1~deb12u1\\tii \\nphp8.2-gd\\t8.2.32-1~deb12u1\\trc \\n")
    {'php8.2-fpm': '8.2.32-1~deb12u1'}
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Mapping

from tasks.debconf import under_one_frontend
from tasks.php import POLICY_RC_D, QUIET_APT_EXPORT
from tasks.prefetch import InstalledPhp, build_specs


def installed_script(line: str) -> str:
    return InstalledPhp().command(line)


def parse_installed(output: str) -> dict[str, str]:
    """Installed packages (status ``ii``) and their versions."""
    return InstalledPhp().process(output.splitlines())


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
    d = shlex.quote(directory)
    return (
        f'set -euo pipefail; test -n "$(ls {d}/*.deb 2>/dev/null)"; '
        f"{QUIET_APT_EXPORT}; dpkg -i {d}/*.deb >/dev/null; {graceful_reload_script(line)}"
    )


def install_prefetched_script(
    line: str, build: str, names: Iterable[str], guards: Mapping[str, str]
) -> str:
    """The packages ``names`` at ``build`` from apt's cache, never the network (apt fails
    before it changes anything when a .deb is missing), after the ``guards`` files (path:
    text; the pin and policy-rc.d, as provision writes them), their scripts under one
    debconf frontend (``tasks.debconf``); then a graceful reload."""
    written = [_written(path, text) for path, text in guards.items()]
    specs = " ".join(shlex.quote(spec) for spec in build_specs(names, build))
    install = (
        "apt-get install -y -q --no-download --no-install-recommends --allow-downgrades "
        f'-o Dpkg::Options::="--force-confdef" -o Dpkg::Options::="--force-confold" {specs}'
    )
    return "; ".join(
        [
            "set -euo pipefail",
            *written,
            QUIET_APT_EXPORT,
            under_one_frontend(install, names),
            graceful_reload_script(line),
        ]
    )


def _written(path: str, text: str) -> str:
    """``text`` in ``path``, swapped in whole (apt never reads half a pin)."""
    new = shlex.quote(f"{path}.upkeep-new")
    mode = "755" if path == POLICY_RC_D else "644"
    return f"printf %s {shlex.quote(text)} > {new} && chmod {mode} {new} && mv -f {new} {shlex.quote(path)}"


def graceful_reload_script(line: str) -> str:
    """Reload PHP-FPM (started if it had stopped) and wait until its master runs the binary
    now installed: on a reload it lets its workers finish, then re-executes itself, and a
    smoke check before that would still meet the old build."""
    service = f"php{line}-fpm"
    return (
        f"pid=$(systemctl show -p MainPID --value {service}); "
        f"systemctl reload-or-restart {service}; "
        'for _ in $(seq 600); do case "$(readlink /proc/$pid/exe 2>/dev/null)" in '
        '*" (deleted)") sleep 0.1 ;; *) break ;; esac; done'
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
