"""Shell on one host over ssh, as root through sudo: the refresh's small remote steps.

>>> run_root(host, "mariadb -N -e 'SELECT 1'")   # doctest: +SKIP
(0, '1\\n')
"""

from __future__ import annotations

import shlex
import subprocess

from upkeep import secrets
from upkeep.errors import RunFailed
from upkeep.runner import SshHost
from upkeep.ssh import ssh_argv


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
    if code != 0:
        raise RunFailed(
            f"{what} failed on {host.name} (exit {code}): {secrets.redact(out.strip())[-400:]}"
        )
    return out
