"""CI fan-out for real (issue 18, item 3): the GitLab pipeline ``upkeep schedule --fanout``
writes for the lab's fleet (demo and WordPress, which share the dev and staging servers)
runs its ``check`` matrix under gitlab-ci-local's shell executor, a job per project,
against the lab, and ends green with each project's report as that job's artifact.

The runner is a copy of the operator repository (a checkout, as CI has it) and gets
only what CI gives: the secrets as CI variables (a variables file, never argv), a
store URL and a state directory of its own; the jobs run upkeep from this source tree
with the test interpreter (``--ci-install`` / ``--ci-upkeep``: a runner with a venv).
Checks change no server, so the test adds a minute, not a provisioning, to the suite.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import git
import pytest
import yaml

import upkeep
from upkeep.cli.main import main
from upkeep.credentials import lab_secrets_file
from upkeep.workspace import state_home

from .conftest import RunningLab
from .gitlab_ci_local import ensure_gitlab_ci_local

PROJECTS = ("demo", "wordpress")


def test_the_fleet_pipeline_runs_its_check_matrix_green_with_reports_as_artifacts(
    provisioned: RunningLab,
    wordpress: RunningLab,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    runner = ensure_gitlab_ci_local()
    checkout = fleet_checkout(
        provisioned, tmp_path, capsys, "--no-update", "--no-refresh", "--check-every", "5m"
    )
    pipeline = checkout / "schedules" / "fleet-gitlab-ci.yml"

    # The secrets as masked CI variables would give them, outside the checkout.
    secrets = yaml.safe_load(lab_secrets_file().read_text(encoding="utf-8"))
    variables = {f"UPKEEP_SECRET_{name.upper()}": value for name, value in secrets.items()}
    variables["UPKEEP_DATABASE_URL"] = f"sqlite:///{tmp_path / 'shared-store.db'}"
    # The runner's own state; it trusts the lab's CA as a real runner trusts public ones.
    runner_state = tmp_path / "runner-state"
    (runner_state / "lab").mkdir(parents=True)
    shutil.copy(state_home() / "lab" / "ca.crt", runner_state / "lab" / "ca.crt")
    variables_file = tmp_path / "ci-variables.yml"
    variables_file.touch(mode=0o600)
    variables_file.write_text(yaml.safe_dump(variables), encoding="utf-8")
    for value in secrets.values():
        assert str(value) not in pipeline.read_text(encoding="utf-8")

    # What a runner has: no lab variables, nothing of this process but PATH and HOME.
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    done = subprocess.run(
        [
            str(runner),
            # gitlab-ci-local reads it relative to the checkout, where it stays out of git.
            *("--variables-file", os.path.relpath(variables_file, checkout)),
            *("--force-shell-executor", "--shell-isolation", "--no-color"),
            *("--ignore-predefined-vars", "CI_PIPELINE_SOURCE"),
            *("--variable", "CI_PIPELINE_SOURCE=schedule", "--variable", "UPKEEP_JOB=check"),
            # Not in the file: gitlab-ci-local takes a value naming a path for a File variable.
            *("--variable", f"UPKEEP_STATE_DIR={runner_state}"),
        ],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    passed = set(re.findall(r"PASS\s+upkeep:check: \[(\w+)", output))
    assert passed == set(PROJECTS), output
    # Every secret came as a CI variable (the job warns, "> warning: ...", of a missing one).
    assert "FAIL" not in output and "> warning: the CI/CD variable" not in output, output
    for value in secrets.values():
        assert str(value) not in output

    artifacts = checkout / ".gitlab-ci-local" / "artifacts"
    reports = sorted(path.relative_to(artifacts) for path in artifacts.rglob("*-check.log"))
    assert len(reports) == len(PROJECTS), reports
    for project in PROJECTS:
        [report] = [artifacts / path for path in reports if path.name == f"{project}-check.log"]
        text = report.read_text(encoding="utf-8")
        # A job's artifact holds its own project's report only (one job per project).
        job = report.parents[2]
        assert [path.name for path in job.rglob("*.log")] == [f"{project}-check.log"]
        for environment in ("dev", "staging", "production"):
            assert re.search(rf"{environment}\s+health\s+OK", text), text


def test_the_manual_gate_holds_the_fleets_update_behind_a_person(
    running_lab: RunningLab, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """gitlab-ci-local's view of an update pipeline with --gate: the proposal per project,
    then the manual job, which every update job needs (listed only: nothing runs)."""
    runner = ensure_gitlab_ci_local()
    checkout = fleet_checkout(running_lab, tmp_path, capsys, "--gate", "--no-checks")
    done = subprocess.run(
        [
            str(runner),
            *("--list-csv", "--ignore-predefined-vars", "CI_PIPELINE_SOURCE"),
            *("--variable", "CI_PIPELINE_SOURCE=schedule", "--variable", "UPKEEP_JOB=update"),
        ],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {line.split(";")[0]: line.split(";") for line in done.stdout.splitlines()[1:]}
    gate = rows["upkeep:approve-production"]
    assert "manual" in gate and "[upkeep:update-check]" in gate, gate
    updates = [name for name in rows if name.startswith("upkeep:update: ")]
    # demo and WordPress share the dev and staging servers: one lock for both.
    assert len(updates) == len(PROJECTS) and len({name.split(",")[1] for name in updates}) == 1
    for name in updates:
        assert "[upkeep:approve-production]" in rows[name], rows[name]
    assert len([n for n in rows if n.startswith("upkeep:update-check: ")]) == len(PROJECTS)


def fleet_checkout(
    lab: RunningLab, tmp_path: Path, capsys: pytest.CaptureFixture[str], *options: str
) -> Path:
    """A checkout of the operator repository, as a runner has it, with the fleet pipeline
    written (``options`` for ``upkeep schedule``) and included from .gitlab-ci.yml."""
    checkout = tmp_path / "checkout"
    shutil.copytree(lab.workspace.root, checkout, symlinks=True)
    source = Path(upkeep.__file__).resolve().parents[1]
    python = sys.executable
    code = main(
        [
            *("--root", str(checkout), "schedule", *PROJECTS, "--fanout", *options),
            *("--ci-install", f"{python} -c 'import upkeep'"),
            *("--ci-upkeep", f"env PYTHONPATH={source} {python} -m upkeep.cli.main"),
        ]
    )
    assert code == 0, capsys.readouterr().err
    (checkout / ".gitlab-ci.yml").write_text(
        "include:\n  - local: schedules/fleet-gitlab-ci.yml\n", encoding="utf-8"
    )
    repo = git.Repo(checkout)
    repo.git.add("-A")
    repo.git.commit("-m", "CI fan-out", author="test <test@example.invalid>")
    return checkout
