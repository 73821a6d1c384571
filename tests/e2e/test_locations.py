"""Checks from two locations into one history (issue 18, item 4's acceptance) on the lab.

"office" is this process; "runner-b" is another process, as a second CI runner
would be. First runner-b's network is cut (it runs in a network namespace of
its own, with no route to the lab, so its real checks fail, twice in a row):
the office sees production up, and no incident opens. Then nginx is really stopped on
production and both locations see it: one incident opens, recorded with both
locations; nginx is started again and the incident resolves. The month's SLA
report names both locations.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import upkeep
from upkeep.cli.main import main

from .conftest import RunningLab, outside_maintenance
from .hosts import shell

# The tree whose upkeep this test imports: the second runner must run the same code.
SOURCE = str(Path(upkeep.__file__).resolve().parents[1])


@pytest.fixture(scope="module")
def lab(provisioned: RunningLab) -> Iterator[RunningLab]:
    with outside_maintenance(provisioned) as unmuted:
        yield unmuted


def upkeep_here(lab: RunningLab, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """``upkeep ARGS...`` in this process (the office); what it printed."""
    capsys.readouterr()
    main(["--root", str(lab.workspace.root), *args])
    return capsys.readouterr().out


def from_office(
    lab: RunningLab, capsys: pytest.CaptureFixture[str], history: Path
) -> dict[str, Any]:
    return json.loads(upkeep_here(lab, capsys, *_check_args("office", history)))["data"]


def from_runner_b(lab: RunningLab, history: Path, *, network_cut: bool) -> dict[str, Any]:
    """``upkeep check`` in a process of its own; with ``network_cut``, in a new network
    namespace (only a loopback device, down: no route to the lab)."""
    command = [sys.executable, "-m", "upkeep.cli.main", "--root", str(lab.workspace.root)]
    command += _check_args("runner-b", history)
    env = {**os.environ, "PYTHONPATH": SOURCE}
    done = subprocess.run(
        ["unshare", "--net", *command] if network_cut else command,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode in (0, 1, 2), done.stderr[-2000:]  # a Nagios status, no usage error
    return json.loads(done.stdout)["data"]


def _check_args(location: str, history: Path) -> list[str]:
    return [
        "check",
        "demo",
        "production",
        "--location",
        location,
        "--json",
        "--history",
        str(history),
    ]


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {r["check"]: r["status"] for r in report["results"]}


def changes(report: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    return [(i["change"], i["check"], i["locations"]) for i in report["incidents"]]


def test_one_location_cut_off_opens_nothing_both_failing_open_one_incident(
    lab: RunningLab,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    history = tmp_path / "monitor.db"
    both = ["office", "runner-b"]

    # runner-b cannot reach the lab: the site does not answer it, its host checks cannot
    # tell. It runs twice in a row (runners keep no common beat), past the failure threshold
    # (2), while the office's last look saw production up.
    office = from_office(lab, capsys, history)
    assert set(statuses(office).values()) == {"OK"}, statuses(office)
    for _ in range(2):
        cut_off = from_runner_b(lab, history, network_cut=True)
        assert statuses(cut_off)["health"] == "CRITICAL"
        assert statuses(cut_off)["services"] == "UNKNOWN"
        assert {r["location"] for r in cut_off["results"]} == {"runner-b"}
        assert changes(cut_off) == []
    assert changes(office) == []

    # Production really down, seen from both places: one incident, naming both.
    shell(lab, "production", "systemctl stop nginx")
    try:
        office = from_office(lab, capsys, history)
        assert statuses(office)["services"] == "CRITICAL" and changes(office) == []
        seen_by_b = from_runner_b(lab, history, network_cut=False)
        assert statuses(seen_by_b)["services"] == "CRITICAL"
        assert changes(seen_by_b) == [("opened", "services", both)]
    finally:
        shell(lab, "production", "systemctl start nginx")

    # Up again from both: resolved after two agreed views (the success threshold).
    office = from_office(lab, capsys, history)
    assert set(statuses(office).values()) == {"OK"} and changes(office) == []
    seen_by_b = from_runner_b(lab, history, network_cut=False)
    assert changes(seen_by_b) == [("resolved", "services", both)]

    listed = upkeep_here(
        lab, capsys, "incident", "list", "demo", "--all", "--history", str(history)
    )
    assert "(seen from office, runner-b)" in listed

    out = tmp_path / "sla"
    upkeep_here(
        lab, capsys, "sla", "report", "demo", "--history", str(history), "--output", str(out)
    )
    [data] = [json.loads(p.read_text()) for p in out.glob("*.json")]
    assert data["locations"] == both
    assert [(i["check"], i["locations"]) for i in data["incidents"]] == [("services", both)]
