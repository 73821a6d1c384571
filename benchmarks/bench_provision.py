"""Provision on the lab: first run from nothing, then no-op runs, 3 and 12 hosts.

    python benchmarks/bench_provision.py                 # both sizes
    python benchmarks/bench_provision.py --sizes 1       # three hosts only
    python benchmarks/bench_provision.py --repeat 5      # medians of five
    python benchmarks/bench_provision.py --keep-lab DIR  # the last lab left up, to iterate on

Each size gets a lab of its own (``UPKEEP_LAB_NAME``/``UPKEEP_LAB_SUBNET``,
default ``upkeep-bench`` on 10.89.79.0/24) with fresh containers, provisions
dev, staging and production at once from nothing, then measures the no-op:
the hosts checked and left alone (the default) beside the baseline, every
operation run on every host (``full=True``, what provision always did), both
in the same run; and drift over the same hosts. Medians of ``--repeat`` runs;
wall seconds, measured, never asserted. The lab is removed afterwards; with
``--keep-lab DIR`` each size works in ``DIR/<size>`` (its operator repository
and lab state kept) and the last size's lab stays up.

The first run also shows the CPU seconds its hosts spent (``first CPU s``, mostly
package scripts: docs/first-provision.md) and that over the machine's cores
(``first floor s``): the hosts share them, so no first run is shorter.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from labs import hosts_cpu_seconds, operator_repo

from upkeep import lab
from upkeep.drift.workflow import drift
from upkeep.inventory import load_project
from upkeep.inventory.pins import Pins
from upkeep.provision.workflow import ProvisionResult, provision

ENVIRONMENTS = ["dev", "staging", "production"]


def median_seconds(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.monotonic()
        run()
        times.append(time.monotonic() - started)
    return round(statistics.median(times), 1)


def measure(hosts_per_environment: int, repeat: int, keep: Path | None) -> dict[str, float | int]:
    kept = keep / str(hosts_per_environment) if keep else None
    if kept:
        kept.mkdir(parents=True)
    with (
        contextlib.nullcontext(str(kept))
        if kept
        else tempfile.TemporaryDirectory(prefix="upkeep-bench-")
    ) as tmp:
        os.environ.update(
            UPKEEP_LAB_NAME=os.environ.get("UPKEEP_LAB_NAME", "upkeep-bench"),
            UPKEEP_LAB_SUBNET=os.environ.get("UPKEEP_LAB_SUBNET", "10.89.79.0/24"),
            UPKEEP_LAB_HOSTS_PER_ENV=str(hosts_per_environment),
            UPKEEP_STATE_DIR=str(Path(tmp) / "state"),
        )
        spec = lab.LabSpec.from_env()
        workspace = operator_repo(Path(tmp) / "operator")
        lab.down(spec)  # containers of an interrupted earlier run
        try:
            started = time.monotonic()
            lab.up(spec, workspace)
            lab_seconds = time.monotonic() - started
            project = load_project(workspace, "demo")
            cpu_before = hosts_cpu_seconds(spec)
            first = provision(
                workspace, project, Pins(project="demo"), ENVIRONMENTS, php_build="oldest"
            )
            first_cpu = hosts_cpu_seconds(spec) - cpu_before
            pins = first.pins  # the pins the first run wrote, as the CLI would load them
            runs: list[ProvisionResult] = []

            def again(full: bool) -> None:
                runs.append(provision(workspace, project, pins, ENVIRONMENTS, full=full))

            full_seconds = median_seconds(repeat, lambda: again(True))
            checked_seconds = median_seconds(repeat, lambda: again(False))
            drift_seconds = median_seconds(repeat, lambda: drift(project, pins))
        finally:
            if not kept:
                lab.down(spec)
    return {
        "hosts": len(spec.demo_members()),  # the ones provisioned here
        "lab up s": round(lab_seconds, 1),
        "first s": round(first.seconds, 1),
        "first changed": first.run.changed,
        # The hosts' own work in the first run (package scripts above all) on this
        # machine's cores: no first run here is shorter than the floor.
        "first CPU s": round(first_cpu, 1),
        "first floor s": round(first_cpu / (os.cpu_count() or 1), 1),
        "no-op full s": full_seconds,
        "no-op s": checked_seconds,
        "no-op changed": max(run.run.changed for run in runs),
        "drift s": drift_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[1, 4], help="hosts per environment"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per median")
    parser.add_argument(
        "--keep-lab",
        type=Path,
        metavar="DIR",
        help="work in DIR/<size> (a new directory) and leave the last size's lab up",
    )
    args = parser.parse_args()
    rows = [measure(size, args.repeat, args.keep_lab) for size in args.sizes]
    headers = list(rows[0])
    print(
        f"\nprovision on the lab (wall seconds, medians of {args.repeat}; "
        "no-op full: every operation run, the baseline; no-op: hosts in sync checked)"
    )
    print("  ".join(f"{h:>13}" for h in headers))
    for row in rows:
        print("  ".join(f"{row[h]!s:>13}" for h in headers))


if __name__ == "__main__":
    main()
