"""The system ssh client, for what pyinfra does not carry: streams host to host, and
small root scripts whose output a workflow reads.

Same trust as the runner: the host's key, its known_hosts, strict checking,
never a password prompt; keepalives so a dropped connection ends the stream
instead of hanging it.

    >>> argv = ssh_argv(host, "true")   # doctest: +SKIP
    >>> argv[:2]                        # doctest: +SKIP
    ['ssh', '-p']
"""

from __future__ import annotations

import shlex
import subprocess

from upkeep import credentials
from upkeep.errors import ConnectionFailed, RunFailed
from upkeep.runner import SshHost

KEEPALIVE_SECONDS = 10
KEEPALIVE_MISSES = 3
SSH_FAILED = 255  # ssh's own exit code: the connection, not the command, failed


def ssh_options(host: SshHost) -> list[str]:
    """``ssh`` and its options for ``host``, without the destination (rsync's ``-e`` wants this)."""
    argv = [
        "ssh",
        "-p",
        str(host.port),
        "-o",
        "BatchMode=yes",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        f"ServerAliveInterval={KEEPALIVE_SECONDS}",
        "-o",
        f"ServerAliveCountMax={KEEPALIVE_MISSES}",
        "-o",
        "ConnectTimeout=15",
        "-o",
        "IdentitiesOnly=yes",
    ]
    if host.known_hosts is not None:
        argv += ["-o", f"UserKnownHostsFile={host.known_hosts}"]
    if host.key is not None:
        argv += ["-i", str(host.key)]
    return argv


def ssh_argv(host: SshHost, remote_command: str) -> list[str]:
    return [*ssh_options(host), f"{host.user}@{host.address}", remote_command]


def root_command(script: str) -> str:
    """``script`` as a remote command line: bash with pipefail, as root."""
    return "sudo bash -c " + shlex.quote("set -o pipefail\n" + script)


def run_root(host: SshHost, script: str, timeout: float = 3600) -> tuple[int, str]:
    done = subprocess.run(
        ssh_argv(host, root_command(script)), capture_output=True, text=True, timeout=timeout
    )
    return done.returncode, done.stdout + (done.stderr if done.returncode else "")


def check_root(host: SshHost, script: str, what: str, timeout: float = 3600) -> str:
    """Run ``script``; its stdout, or RunFailed saying ``what`` failed on which host."""
    code, out = run_root(host, script, timeout)
    if code == SSH_FAILED:
        raise ConnectionFailed(
            f"{what} failed: {host.name} ({host.address}) cannot be reached over SSH: "
            f"{credentials.redact(out.strip())[-300:]}"
        )
    if code != 0:
        raise RunFailed(
            f"{what} failed on {host.name} (exit {code}): {credentials.redact(out.strip())[-400:]}"
        )
    return out
