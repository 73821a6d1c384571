"""Selectors end to end: ``provision --all`` on the lab's projects (demo, wordpress) and a
third (twin, beside the demo's production on its server) runs every one and, when each was
provisioned before, changes nothing."""

from __future__ import annotations

import json

import pytest

from upkeep.cli.main import main

from .conftest import RunningLab
from .test_safety_shared import twin  # noqa: F401  (the fixture: project twin provisioned)


def test_provision_all_runs_every_project_and_a_second_run_changes_nothing(
    twin: RunningLab,  # noqa: F811
    wordpress: RunningLab,
    capsys: pytest.CaptureFixture[str],
) -> None:
    capsys.readouterr()
    code = main(["--root", str(twin.workspace.root), "provision", "--all", "all", "--json"])
    wrapped = json.loads(capsys.readouterr().out)
    assert code == 0 and wrapped["exit_code"] == 0, wrapped["errors"]
    runs = {entry["project"]: entry for entry in wrapped["data"]}
    assert list(runs) == ["demo", "twin", "wordpress"]
    assert [e["environment"] for e in runs["twin"]["data"]["environments"]] == [
        "staging",
        "production",
    ]
    for project, entry in runs.items():
        assert entry["ok"] and entry["data"]["changed"] == 0, (project, entry["errors"])
