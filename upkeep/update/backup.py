"""What an update keeps before it moves a host's PHP, and how it puts it back, on one host.

The one update of a project and a fleet's update of a server both use these:
the exact PHP packages kept as .deb files (a rollback needs no network), a
site's database dumped beside them, old update backups pruned, and dpkg
settled before packages change.

    >>> "head -n -3" in prune_script(SiteLayout.of("demo", "production").backups_dir, 3)
    True
"""

from __future__ import annotations

import shlex

from upkeep.inventory import Host
from upkeep.layout import SiteLayout
from upkeep.ssh import check_root
from upkeep.update import packages

UPDATE_BACKUP = "^update-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$"  # update-<run id>, see Journal.start


def installed(host: Host, line: str) -> dict[str, str]:
    """The PHP ``line`` packages installed on ``host``, by name: their exact versions."""
    return packages.parse_installed(
        check_root(host, packages.installed_script(line), "listing the PHP packages")
    )


def keep_packages(host: Host, line: str, directory: str) -> dict[str, str]:
    """The PHP packages installed on ``host``, their .debs kept in ``directory``/debs."""
    kept = installed(host, line)
    check_root(
        host,
        packages.keep_debs_script(f"{directory}/debs", kept),
        f"keeping the PHP packages on {host.name}",
    )
    return kept


def dump_database(host: Host, database: str, directory: str) -> None:
    """The site's database, gzipped, in ``directory`` (created root-only)."""
    d, name = shlex.quote(directory), shlex.quote(database)
    check_root(
        host,
        (
            f"set -euo pipefail; mkdir -p {d}; chmod 700 {d}; "
            f"mariadb-dump --single-transaction --quick --routines --triggers --events {name} "
            f"| gzip -1 > {d}/database.sql.gz"
        ),
        f"backing up the database on {host.name}",
    )


def prune(host: Host, layout: SiteLayout, keep: int) -> None:
    check_root(host, prune_script(layout.backups_dir, keep), "pruning old backups")


def prune_script(backups_dir: str, keep: int) -> str:
    """Only the newest ``keep`` update backups stay (names sort by time; nothing else goes)."""
    return (
        f"cd {shlex.quote(backups_dir)} && "
        f"ls -1 | grep -E '{UPDATE_BACKUP}' | LC_ALL=C sort | head -n -{int(keep)} | "
        'while read -r old; do rm -rf -- "$old"; done'
    )


# A run killed during an install leaves dpkg half-done, and finishing it is always safe; but
# the killed run's own apt may still be at work on the host (its SSH session's end does not
# stop it): wait for it to let go of dpkg's lock (up to 10 minutes), then finish.
SETTLE_DPKG = (
    "for _ in $(seq 600); do said=$(dpkg --configure -a 2>&1) && exit 0; "
    'case "$said" in *"locked by another process"*) sleep 1 ;; '
    '*) printf "%s\\n" "$said" >&2; exit 1 ;; esac; done; '
    'printf "%s\\n" "$said" >&2; exit 1'
)


def settle_dpkg(host: Host) -> None:
    check_root(host, SETTLE_DPKG, f"finishing interrupted installs on {host.name}")


def reinstall_kept(host: Host, directory: str, line: str, old: str) -> None:
    """PHP back at ``old`` from the .debs kept in ``directory``/debs, reloaded gracefully."""
    settle_dpkg(host)
    check_root(
        host,
        packages.reinstall_script(f"{directory}/debs", line),
        f"reinstalling PHP {old} from the kept packages on {host.name}",
    )
