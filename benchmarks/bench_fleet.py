"""The lab fleet: provision ``--all`` from nothing and with nothing to change, ``fleet status``.

    python benchmarks/bench_fleet.py               # a lab of its own, removed at the end
    python benchmarks/bench_fleet.py --keep-lab    # leave it up for a look

A lab of its own (``upkeep-bench``, 10.89.79.0/24) with fresh containers and
every project ``upkeep lab up`` writes (the fleet: its servers and sites),
driven through the ``upkeep`` command as an operator runs it. The no-op
provision is measured one project at a time (``--parallel 1``, the baseline)
and two at a time (``--parallel 2``) in the same run. Prints a table with
the number of sites and servers; wall seconds, measured, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from labs import operator_repo

from upkeep import lab

# (what, the command after `upkeep`, exit codes that are a measurement rather than a fault)
STEPS = [
    ("provision --all, first", ["provision", "--all", "all", "--php-build", "oldest"], (0,)),
    (
        "provision --all, no-op, --parallel 1",
        ["provision", "--all", "all", "--parallel", "1"],
        (0,),
    ),
    (
        "provision --all, no-op, --parallel 2",
        ["provision", "--all", "all", "--parallel", "2"],
        (0,),
    ),
    # 1: something needs attention (e.g. no check has run yet): still a measurement
    ("fleet status", ["fleet", "status"], (0, 1)),
    ("fleet status --drift", ["fleet", "status", "--drift"], (0, 1)),
]


def upkeep(workspace: Path, argv: list[str], codes: tuple[int, ...]) -> float:
    """Seconds ``upkeep ARGV`` took in the operator repository; exit if it failed."""
    command = [sys.executable, "-m", "upkeep.cli.main", "--root", str(workspace), *argv]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.monotonic() - started
    if done.returncode not in codes:
        sys.stderr.write(done.stdout[-2000:] + done.stderr[-2000:])
        raise SystemExit(f"upkeep {' '.join(argv)}: exit {done.returncode}")
    return seconds


def fleet_size(workspace: Path) -> tuple[int, int]:
    """(sites, servers) of the fleet as ``inventory show --servers`` lists it."""
    command = [sys.executable, "-m", "upkeep.cli.main", "--root", str(workspace)]
    done = subprocess.run(
        [*command, "inventory", "show", "--servers", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    servers = json.loads(done.stdout)["data"]["servers"]
    return sum(len(server["sites"]) for server in servers), len(servers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep-lab", action="store_true", help="leave the lab up at the end")
    args = parser.parse_args()
    rows: list[tuple[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="upkeep-bench-") as tmp:
        os.environ.update(
            UPKEEP_LAB_NAME="upkeep-bench",
            UPKEEP_LAB_SUBNET="10.89.79.0/24",
            UPKEEP_STATE_DIR=str(Path(tmp) / "state"),
        )
        spec = lab.LabSpec.from_env()
        workspace = operator_repo(Path(tmp) / "operator")
        lab.down(spec)  # containers of an interrupted earlier run
        try:
            rows.append(("lab up", upkeep(workspace.root, ["lab", "up"], (0,))))
            sites, servers = fleet_size(workspace.root)
            for what, argv, codes in STEPS:
                rows.append((what, upkeep(workspace.root, argv, codes)))
                print(f"{what}: {rows[-1][1]:.1f} s", file=sys.stderr, flush=True)
        finally:
            if not args.keep_lab:
                lab.down(spec)
    print(f"\nthe lab fleet: {sites} sites on {servers} servers (wall seconds)")
    print(f"{'what':<40} {'seconds':>8}")
    for what, seconds in rows:
        print(f"{what:<40} {seconds:>8.1f}")


if __name__ == "__main__":
    main()
