"""Provision on the lab: first run from nothing and a no-op re-run, 3 and 12 hosts.

    python benchmarks/bench_provision.py            # both sizes
    python benchmarks/bench_provision.py --sizes 1  # three hosts only

Each size gets a lab of its own (``upkeep-bench``, 10.89.79.0/24) with fresh
containers, provisions dev, staging and production at once, provisions them
again, prints a table and removes the lab. Wall seconds, measured, never asserted.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from labs import operator_repo

from upkeep import lab
from upkeep.inventory import load_project
from upkeep.inventory.pins import Pins
from upkeep.provision.workflow import provision

ENVIRONMENTS = ["dev", "staging", "production"]


def measure(hosts_per_environment: int) -> dict[str, float | int]:
    with tempfile.TemporaryDirectory(prefix="upkeep-bench-") as tmp:
        os.environ.update(
            UPKEEP_LAB_NAME="upkeep-bench",
            UPKEEP_LAB_SUBNET="10.89.79.0/24",
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
            first = provision(
                workspace, project, Pins(project="demo"), ENVIRONMENTS, php_build="oldest"
            )
            # The pins the first run wrote are the second's, as the CLI would load them.
            again = provision(workspace, project, first.pins, ENVIRONMENTS)
        finally:
            lab.down(spec)
    return {
        "hosts": len(spec.demo_members()),  # the ones provisioned here
        "lab up s": round(lab_seconds, 1),
        "first s": round(first.seconds, 1),
        "first changed": first.run.changed,
        "again s": round(again.seconds, 1),
        "again changed": again.run.changed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[1, 4], help="hosts per environment"
    )
    args = parser.parse_args()
    rows = [measure(size) for size in args.sizes]
    headers = list(rows[0])
    print("\nprovision on the lab (wall seconds)")
    print("  ".join(f"{h:>13}" for h in headers))
    for row in rows:
        print("  ".join(f"{row[h]!s:>13}" for h in headers))


if __name__ == "__main__":
    main()
