"""The weekly propose job: scheduled only where the care plan has major_proposals, in every
file `upkeep schedule` writes (units, cron, both CI files, the fleet fan-out pipelines)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.unit.run_cli import run_cli
from tests.unit.schedule.test_cli import repo, snapshot  # noqa: F401  # the fixture
from tests.unit.schedule.test_files import INVENTORY, read_unit
from tests.unit.schedule.test_fleet_files import fleet, gitlab  # noqa: F401  # the fixture

PLANS = """\
plans:
  premium: {major_proposals: true}
  basic: {major_proposals: false}
"""


def care(plan: str) -> str:
    return f"care: {{plan: {plan}, client: {{name: ACME, contact: it@acme.example}}}}\n"


def on_plan(workspace: Path, project: str, plan: str, text: str | None = None) -> None:
    """``project`` on ``plan``: plans.yml written, the care: section appended."""
    inventories = workspace / "inventories"
    (inventories / "plans.yml").write_text(PLANS)
    path = inventories / f"{project}.yml"
    (inventories / f"{project}.yml").write_text((text or path.read_text()) + care(plan))


def schedule(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    return run_cli(capsys, "schedule", *args)


PROPOSE_FILES = {"upkeep-shop-propose.service", "upkeep-shop-propose.timer"}


def test_a_project_whose_plan_proposes_gets_the_job_in_every_file(
    repo: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    on_plan(repo, "shop", "premium", INVENTORY)
    code, out, err = schedule(capsys, "shop", "--timezone", "Europe/Warsaw")
    assert (code, err) == (0, "")
    written = {name: text for name, (text, _) in snapshot(repo / "schedules" / "shop").items()}
    assert set(written) >= PROPOSE_FILES
    assert "12 of 12 files written or removed" in out
    assert "upkeep propose shop" in out  # the table's command column

    service = read_unit(written["upkeep-shop-propose.service"])
    assert service["Service"]["ExecStart"] == f"{repo}/.venv/bin/upkeep --root {repo} propose shop"
    assert "SuccessExitStatus" not in service["Service"]  # 1 and 2 leave the unit failed
    timer = read_unit(written["upkeep-shop-propose.timer"])
    assert timer["Timer"]["OnCalendar"] == "Mon *-*-* 07:00:00 Europe/Warsaw"
    assert timer["Timer"]["Unit"] == "upkeep-shop-propose.service"

    cron = written["upkeep-shop.cron"]
    assert (
        f"0 7 * * 1  upkeep  cd {repo} && flock -n /run/lock/upkeep-shop-propose.lock "
        f"{repo}/.venv/bin/upkeep --root {repo} propose shop >>/var/log/upkeep/shop-propose.log 2>&1"
    ) in cron

    lab = yaml.safe_load(written["gitlab-ci.yml"])
    job = lab["shop:propose"]
    assert '.venv/bin/upkeep --root "$CI_PROJECT_DIR" propose shop' in job["script"][1]
    assert job["resource_group"] == "upkeep-shop-propose"  # never waits behind an update
    assert 'UPKEEP_JOB=propose cron "0 7 * * 1"' in written["gitlab-ci.yml"]
    assert "propose fails on 1 (production's package source" in written["gitlab-ci.yml"]

    hub = yaml.safe_load(written["github-workflow.yml"])
    assert {"cron": "0 5 * * 1"} in hub[True]["schedule"]  # 07:00 Warsaw in summer: 05:00 UTC
    assert "propose" in hub[True]["workflow_dispatch"]["inputs"]["job"]["options"]
    steps = hub["jobs"]["propose"]["steps"]
    assert any('--root "$GITHUB_WORKSPACE" propose shop' in s.get("run", "") for s in steps)
    # The proposals are the point: kept after a successful run too.
    assert steps[-1]["if"] == "${{ !cancelled() }}"

    code, out, _ = schedule(capsys, "shop", "--timezone", "Europe/Warsaw", "--json")
    data = json.loads(out)["data"]
    assert code == 0 and {f["status"] for f in data["files"]} == {"unchanged"}
    assert [j["command"] for j in data["schedule"]["jobs"] if j["job"] == "propose"] == [
        ["upkeep", "propose", "shop"]
    ]
    assert {name: text for name, (text, _) in snapshot(repo / "schedules" / "shop").items()} == (
        written
    )


def test_a_plan_without_proposals_gets_no_job_and_loses_an_old_one(
    repo: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    on_plan(repo, "shop", "premium", INVENTORY)
    assert schedule(capsys, "shop")[0] == 0
    assert set(snapshot(repo / "schedules" / "shop")) >= PROPOSE_FILES

    on_plan(repo, "shop", "basic", INVENTORY)
    code, out, _ = schedule(capsys, "shop", "--json")
    removed = {f["path"] for f in json.loads(out)["data"]["files"] if f["status"] == "removed"}
    assert code == 0 and {Path(name).name for name in removed} == PROPOSE_FILES
    written = snapshot(repo / "schedules" / "shop")
    assert not PROPOSE_FILES & set(written)
    assert not any("propose" in text for text, _ in written.values())


def test_propose_at_and_no_propose_are_in_the_headers(
    repo: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    on_plan(repo, "shop", "premium", INVENTORY)
    assert schedule(capsys, "shop", "--propose-at", "Wed 08:30")[0] == 0
    cron = (repo / "schedules" / "shop" / "upkeep-shop.cron").read_text()
    assert "--propose-at 'Wed 08:30'" in cron.splitlines()[0]
    assert "\n30 8 * * 3  upkeep  " in cron

    assert schedule(capsys, "shop", "--no-propose")[0] == 0
    cron = (repo / "schedules" / "shop" / "upkeep-shop.cron").read_text()
    assert "--no-propose" in cron.splitlines()[0] and "propose shop" not in cron

    # Only the proposal, the other jobs switched off: still something to schedule.
    assert schedule(capsys, "shop", "--no-update", "--no-refresh", "--no-checks")[0] == 0
    fixed = {"upkeep-shop.cron", "upkeep-shop.env.example", "gitlab-ci.yml", "github-workflow.yml"}
    assert set(snapshot(repo / "schedules" / "shop")) == PROPOSE_FILES | fixed


def test_nothing_to_schedule_names_the_plan_without_proposals(
    repo: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    on_plan(repo, "shop", "basic", INVENTORY)
    code, out, err = schedule(capsys, "shop", "--no-update", "--no-refresh", "--no-checks")
    assert (code, out) == (2, "")
    assert "nothing to schedule for shop" in err and "major_proposals" in err
    assert not (repo / "schedules").exists()


def test_the_fanout_proposes_only_for_the_projects_whose_plan_asks(
    fleet: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    on_plan(fleet, "shop", "premium")
    on_plan(fleet, "blog", "basic")
    code, out, err = schedule(capsys, "--all", "--fanout", "--timezone", "Europe/Warsaw")
    assert (code, err) == (0, "")
    assert "propose: " not in out  # a plan without proposals is no warning

    lab = gitlab(fleet)
    job = lab["upkeep:propose"]
    assert job["parallel"]["matrix"] == [{"UPKEEP_PROJECTS": "shop", "UPKEEP_SHARD": "shop"}]
    assert job["resource_group"] == "upkeep-propose-$UPKEEP_SHARD"  # changes no server
    assert ' check "$project"' not in job["script"][0]
    assert (
        '--root "$PWD" propose "$project" > "reports/ci/$project-propose.log"' in (job["script"][0])
    )
    text = (fleet / "schedules" / "fleet-gitlab-ci.yml").read_text()
    assert 'UPKEEP_JOB=propose cron "0 7 * * 1"' in text

    hub = yaml.safe_load((fleet / "schedules" / "fleet-github-workflow.yml").read_text())
    assert {"cron": "0 5 * * 1"} in hub[True]["schedule"]
    assert hub["jobs"]["propose"]["strategy"]["matrix"]["include"] == [
        {"projects": "shop", "group": "propose-shop"}
    ]

    data = json.loads(schedule(capsys, "--all", "--fanout", "--json")[1])["data"]
    (propose,) = [j for j in data["fanout"]["jobs"] if j["job"] == "propose"]
    assert propose["left_out"] == ["blog", "wiki"]
    again = snapshot(fleet / "schedules")
    assert schedule(capsys, "--all", "--fanout", "--json")[0] == 0
    assert snapshot(fleet / "schedules") == again


def test_the_fanout_has_no_propose_job_when_no_plan_asks(
    fleet: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    on_plan(fleet, "shop", "basic")
    assert schedule(capsys, "--all", "--fanout")[0] == 0
    assert "upkeep:propose" not in gitlab(fleet)
    text = (fleet / "schedules" / "fleet-github-workflow.yml").read_text()
    assert "propose" not in text
    code, _, err = schedule(
        capsys, "--all", "--fanout", "--no-update", "--no-refresh", "--no-checks"
    )
    assert code == 2 and "nothing to schedule" in err and "major_proposals" in err
