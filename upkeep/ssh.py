"""The system ssh client, for streams pyinfra does not carry (a dump piped host to host).

Same trust as the runner: the host's key, its known_hosts, strict checking,
never a password prompt; keepalives so a dropped connection ends the stream
instead of hanging it.

    >>> argv = ssh_argv(host, "true")   # doctest: +SKIP
    >>> argv[:2]                        # doctest: +SKIP
    ['ssh', '-p']
"""

from __future__ import annotations

from upkeep.runner import SshHost

KEEPALIVE_SECONDS = 10
KEEPALIVE_MISSES = 3


def ssh_options(host: SshHost) -> list[str]:
    """``ssh`` and its options for ``host``, without the destination (rsync's ``-e`` wants this)."""
    argv = [
        "ssh",
        "-p", str(host.port),
        "-o", "BatchMode=yes",
        "-o", "StrictHostKeyChecking=yes",
        "-o", f"ServerAliveInterval={KEEPALIVE_SECONDS}",
        "-o", f"ServerAliveCountMax={KEEPALIVE_MISSES}",
        "-o", "ConnectTimeout=15",
        "-o", "IdentitiesOnly=yes",
    ]  # fmt: skip
    if host.known_hosts is not None:
        argv += ["-o", f"UserKnownHostsFile={host.known_hosts}"]
    if host.key is not None:
        argv += ["-i", str(host.key)]
    return argv


def ssh_argv(host: SshHost, remote_command: str) -> list[str]:
    return [*ssh_options(host), f"{host.user}@{host.address}", remote_command]
