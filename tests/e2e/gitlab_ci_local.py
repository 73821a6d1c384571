"""gitlab-ci-local, the tests' GitLab runner: installed with npm into a cache directory
when absent (Node and npm are on our machines and on CI), then reused.

    >>> GITLAB_CI_LOCAL.startswith("gitlab-ci-local@4.")
    True
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

# 4.65 is the last release that runs on Debian 12's Node 20 (later ones need Node 22).
GITLAB_CI_LOCAL = "gitlab-ci-local@4.65.1"


def cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "upkeep-tests" / GITLAB_CI_LOCAL.replace("@", "-")


def ensure_gitlab_ci_local() -> Path:
    """The gitlab-ci-local executable, installed first if this cache has none."""
    prefix = cache_dir()
    executable = prefix / "node_modules" / ".bin" / "gitlab-ci-local"
    if executable.is_file():
        return executable
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is missing: install Node.js and npm (apt-get install npm)")
    prefix.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", GITLAB_CI_LOCAL],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0 or not executable.is_file():
        raise RuntimeError(f"npm install {GITLAB_CI_LOCAL} failed:\n{done.stdout}{done.stderr}")
    return executable
