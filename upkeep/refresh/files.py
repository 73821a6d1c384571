"""One rsync leg of a refresh's shared files, through the same SSH trust as everything else.

The source is read with ``sudo rsync`` on its side (symlinks are copied as
symlinks, never followed). On the target the receiving rsync runs *as the
site's user*, who owns the shared paths: root never writes into a directory
the site (PHP-FPM) can change under it, so a symlink planted there cannot
steer a write outside the site. ``--delete`` removes what the source no longer has;
excluded paths are neither sent nor deleted (rsync protects them unless told
``--delete-excluded``), so a staging-only cache survives a refresh.

    >>> parse_stats("Number of regular files transferred: 1,204\\nTotal transferred file size: 9,031 bytes\\n")
    (1204, 9031)
"""

from __future__ import annotations

import re
import shlex
import subprocess

from upkeep.errors import RunFailed
from upkeep.inventory import Host
from upkeep.ssh import ssh_options

_STATS = ("Number of regular files transferred", "Total transferred file size")
_STAT = re.compile(rf"^({'|'.join(_STATS)}): ([\d,]+)")


def rsync(
    host: Host,
    source: str,
    destination: str,
    excludes: list[str],
    pull: bool = False,
    owner: str | None = None,
) -> tuple[int, int]:
    """One leg, ``host`` being the remote end; the (files, bytes) it transferred."""
    remote = f"{host.user}@{host.address}"
    argv = [
        "rsync",
        "-a",
        "--delete",
        "--stats",
        f"--rsync-path={remote_rsync(owner)}",
        "-e",
        " ".join(shlex.quote(part) for part in ssh_options(host)),
        *excludes,
    ]
    if owner:
        argv.append(f"--chown={owner}:{owner}")
    argv += [remote + source, destination] if pull else [source, remote + destination]
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        raise RunFailed(f"rsync with {host.name} failed: {done.stderr.strip()[-400:]}")
    return parse_stats(done.stdout)


def remote_rsync(owner: str | None) -> str:
    """The remote side's rsync: as ``owner`` when given (it owns what is written), else root.

    >>> remote_rsync("demo-staging")
    'sudo -u demo-staging rsync'
    """
    return f"sudo -u {shlex.quote(owner)} rsync" if owner else "sudo rsync"


def parse_stats(output: str) -> tuple[int, int]:
    found: dict[str, str] = {}
    for line in output.splitlines():
        match = _STAT.match(line)
        if match:
            found[match.group(1)] = match.group(2)
    files, size = (int(found.get(key, "0").replace(",", "")) for key in _STATS)
    return files, size
