"""``provision --all --parallel 2`` on the lab: the demo and a second project (twin, both of
its environments on the demo's production server) each in a process of its own; the two
never run at once on the server they share, and a second run changes nothing."""

from __future__ import annotations

import json
import re

import pytest

from upkeep.cli.main import main

from .conftest import RunningLab
from .test_safety_shared import twin  # noqa: F401  (the fixture: project twin provisioned)

STAMP = re.compile(r"^(\d\d:\d\d:\d\d) (\w+): (.*)$")


def provision_all(lab: RunningLab, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict, list]:  # type: ignore[type-arg]
    """Exit code, the --json envelope, and the (time, project, event) lines said on stderr."""
    capsys.readouterr()
    root = str(lab.workspace.root)
    code = main(["--root", root, "provision", "--all", "all", "--parallel", "2", "--json"])
    captured = capsys.readouterr()
    said = [m.groups() for line in captured.err.splitlines() if (m := STAMP.match(line))]
    return code, json.loads(captured.out), said


def test_provision_all_in_parallel_keeps_one_project_per_server_and_changes_nothing_twice(
    twin: RunningLab,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, wrapped, _ = provision_all(twin, capsys)
    assert code == 0 and wrapped["exit_code"] == 0, wrapped["errors"]

    code, wrapped, said = provision_all(twin, capsys)

    assert code == 0, wrapped["errors"]
    runs = {entry["project"]: entry for entry in wrapped["data"]}
    assert list(runs) == ["demo", "twin"]  # the selection's order, as a run in turn gives
    for project, entry in runs.items():
        assert entry["ok"] and entry["data"]["changed"] == 0, (project, entry["errors"])
    events = [(project, event) for _, project, event in said]
    # twin shares demo's production server: it waits, and starts only once demo has ended.
    assert events[0] == ("demo", "running"), events
    assert events[1][0] == "twin" and events[1][1].startswith("waiting: demo is on "), events
    assert events.index(("twin", "running")) > events.index(("demo", "ok"))
    assert events[-1] == ("twin", "ok")
    steps = [event for project, event in events if project == "demo"]
    assert any(step.startswith("provisioning demo") for step in steps), steps
