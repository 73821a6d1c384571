"""Debian packages a test needs on the machine, installed when missing (CI is a fresh Debian 12
run as root, as scripts/bootstrap expects): WeasyPrint's pango and fonts, poppler's pdftotext.

    >>> missing(["dpkg"])
    []
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence


def missing(packages: Sequence[str]) -> list[str]:
    """The packages dpkg does not have installed."""
    found = []
    for package in packages:
        status = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True
        )
        if "install ok installed" not in status.stdout:
            found.append(package)
    return found


def ensure_packages(*packages: str) -> None:
    """Install what is missing with apt-get (as root); fail with what to install otherwise."""
    wanted = missing(packages)
    if not wanted:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise AssertionError(f"this test needs Debian packages: apt-get install {' '.join(wanted)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *wanted], check=True, env=env
    )
