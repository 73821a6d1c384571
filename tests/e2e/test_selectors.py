"""Selectors end to end: ``provision --all --parallel 2`` on the lab's projects (demo,
wordpress) and a third (twin, beside the demo's production on its server). Each was
provisioned before, so the run changes nothing; each project runs in a process of its own,
and two never run at once on a server they share: twin (the demo's production server) and
WordPress (the demo's dev and staging servers) wait for the demo, then run side by side."""

from __future__ import annotations

import json
import re

import pytest

from upkeep.cli.main import main

from .conftest import RunningLab
from .test_safety_shared import twin  # noqa: F401  (the fixture: project twin provisioned)

STAMP = re.compile(r"^(\d\d:\d\d:\d\d) (\w+): (.*)$")


def test_provision_all_in_parallel_keeps_one_project_per_server_and_changes_nothing(
    twin: RunningLab,  # noqa: F811
    wordpress: RunningLab,
    capsys: pytest.CaptureFixture[str],
) -> None:
    capsys.readouterr()
    root = str(twin.workspace.root)
    code = main(["--root", root, "provision", "--all", "all", "--parallel", "2", "--json"])
    captured = capsys.readouterr()
    wrapped = json.loads(captured.out)
    assert code == 0 and wrapped["exit_code"] == 0, wrapped["errors"]
    runs = {entry["project"]: entry for entry in wrapped["data"]}
    assert list(runs) == ["demo", "twin", "wordpress"]  # the selection's order
    assert [e["environment"] for e in runs["twin"]["data"]["environments"]] == [
        "staging",
        "production",
    ]
    for project, entry in runs.items():
        # What changed, when something did: a rare change here has been seen once.
        assert entry["ok"] and entry["data"]["changed"] == 0, (
            project,
            entry["errors"],
            json.dumps(entry["data"])[:4000],
        )

    said = [m.groups() for line in captured.err.splitlines() if (m := STAMP.match(line))]
    events = [(project, event) for _, project, event in said]
    assert events[0] == ("demo", "running"), events
    demo_done = events.index(("demo", "ok"))
    for other in ("twin", "wordpress"):
        waiting = [e for p, e in events if p == other and e.startswith("waiting: demo is on ")]
        assert waiting, (other, events)
        assert events.index((other, "running")) > demo_done, events
    # Once the demo is done, twin and WordPress share no server: both run before either ends.
    started = max(events.index((p, "running")) for p in ("twin", "wordpress"))
    assert started < min(events.index((p, "ok")) for p in ("twin", "wordpress")), events
    steps = [event for project, event in events if project == "demo"]
    assert any(step.startswith("provisioning demo") for step in steps), steps
