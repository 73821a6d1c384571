"""Finishing an interrupted install waits for a killed run's apt that is still at work.

The script runs in a real bash, with a stand-in ``dpkg`` on PATH that says the frontend
lock is held the first ``N`` times, as Debian's does while another apt runs.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from upkeep.update.backup import SETTLE_DPKG

LOCKED = (
    "dpkg: error: dpkg frontend lock was locked by another process with pid 13790\n"
    "Note: removing the lock file is always wrong, can damage the locked area"
)


def settle(tmp_path: Path, answers: list[tuple[int, str]]) -> tuple[int, str, int]:
    """SETTLE_DPKG's exit code and stderr, and how many times it ran dpkg."""
    calls = tmp_path / "calls"
    calls.write_text("")
    script = ["#!/bin/bash", f'n=$(wc -l < {calls}); echo x >> {calls}; case "$n" in']
    for index, (code, said) in enumerate(answers):
        script.append(f"  {index}) printf '%s\\n' '{said}' >&2; exit {code} ;;")
    script += ["  *) exit 0 ;;", "esac"]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "dpkg").write_text("\n".join(script) + "\n")
    (bin_dir / "dpkg").chmod(0o755)
    (bin_dir / "sleep").write_text("#!/bin/sh\n")  # no real waiting in a unit test
    (bin_dir / "sleep").chmod(0o755)
    done = subprocess.run(
        ["bash", "-c", SETTLE_DPKG],
        env={"PATH": f"{bin_dir}:/usr/bin:/bin"},
        capture_output=True,
        text=True,
    )
    return done.returncode, done.stderr, len(calls.read_text().split())


def test_it_waits_while_another_apt_holds_the_lock_then_finishes(tmp_path: Path) -> None:
    assert settle(tmp_path, [(2, LOCKED), (2, LOCKED)]) == (0, "", 3)


def test_any_other_failure_is_reported_at_once(tmp_path: Path) -> None:
    code, said, calls = settle(tmp_path, [(2, LOCKED), (1, "dpkg: error processing php8.2")])
    assert (code, calls) == (1, 2) and "dpkg: error processing php8.2" in said


def test_a_lock_held_for_ten_minutes_gives_up_with_dpkgs_words(tmp_path: Path) -> None:
    code, said, calls = settle(tmp_path, [(2, LOCKED)] * 600)
    assert (code, calls) == (1, 600) and "locked by another process" in said
