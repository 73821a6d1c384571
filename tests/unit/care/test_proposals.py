"""Major-upgrade proposals: the decision from the plan and the lines offered, the window
from the project's maintenance windows, and `upkeep propose` writing a proposal with the
real estimate of a real git checkout (lines given with --offered: no host to read)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tests.unit.estimate.test_estimate_cli import _workspace
from tests.unit.run_cli import run_cli as run
from upkeep.care.proposals import decide_major, recommended_window
from upkeep.inventory import load_project
from upkeep.inventory.care import Care, PlanParts
from upkeep.inventory.maintenance import MaintenanceWindow
from upkeep.workspace import Workspace


def care(**parts: object) -> Care:
    return Care.model_validate(
        {"plan": "p", "client": {"name": "ACME", "contact": "it@acme.example"}},
        context={"care_plans": {"p": PlanParts.model_validate(parts)}},
    )


@pytest.mark.parametrize(
    ("plan", "line", "offered", "to_line", "why"),
    [
        (care(major_proposals=True), "8.2", ["8.2", "8.4", "8.3"], "8.4", "PHP 8.4 is offered"),
        (care(major_proposals=True), "8.4", ["8.2", "8.3", "8.4"], None, "no PHP line newer"),
        (care(major_proposals=True), "7.4", ["10.0", "8.2"], "10.0", "PHP 10.0 is offered"),
        (care(major_proposals=False), "8.2", ["8.4"], None, "plan p has no major-upgrade"),
        (None, "8.2", ["8.4"], None, "no care plan"),
    ],
    ids=["newest-newer", "nothing-newer", "numeric-order", "not-in-plan", "no-plan"],
)
def test_a_major_is_proposed_only_when_newer_and_in_the_plan(
    plan: Care | None, line: str, offered: list[str], to_line: str | None, why: str
) -> None:
    decision = decide_major(plan, line, offered)
    assert decision.to_line == to_line and decision.why.startswith(why)


SUNDAY_NIGHT = MaintenanceWindow.model_validate(
    {
        "every": "sun",
        "from": "03:00",
        "to": "04:00",
        "timezone": "Europe/Warsaw",
        "environments": ["production"],
        "reason": "weekly OS security updates",
    }
)
STAGING_ONLY = SUNDAY_NIGHT.model_copy(update={"environments": ("staging",)})


def test_the_window_is_the_first_production_window_two_weeks_out() -> None:
    now = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)  # a Sunday
    window = recommended_window([STAGING_ONLY, SUNDAY_NIGHT], now)
    assert window is not None
    assert (window.start, window.end) == (
        dt.datetime(2026, 12, 27, 2, 0, tzinfo=dt.UTC),  # the 20th is inside 14 days
        dt.datetime(2026, 12, 27, 3, 0, tzinfo=dt.UTC),
    )
    assert recommended_window([STAGING_ONLY], now) is None


def test_propose_writes_a_proposal_with_the_estimate_attached(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, repo = _workspace(tmp_path)  # the demo's inventory as shop, PHP 7.4, plan standard
    code, out, err = run(capsys, "--root", str(root), "propose", "shop", "--offered", "7.4,8.0")
    assert code == 0, err
    folder = root / "reports" / "proposals"
    data = json.loads((folder / "shop-php7.4-to-8.0-proposal.json").read_text())
    commit = repo.head.commit.hexsha[:12]
    assert (data["project"], data["from_line"], data["to_line"]) == ("shop", "7.4", "8.0")
    assert (data["client"], data["language"], data["scanned"]) == (
        "Upkeep Demo Ltd",
        "en",
        f"shop@{commit}",
    )
    assert data["breaking"] == 1 and data["hours"]["expected"] > 0
    assert data["window"]["reason"] == "weekly OS security updates"
    assert (
        str(root / "reports" / "estimate" / "shop-php7.4-to-8.0.json") in (data["estimate_reports"])
    )
    markdown = (folder / "shop-php7.4-to-8.0-proposal.md").read_text()
    assert markdown.startswith("# PHP 7.4 → 8.0 upgrade proposal: shop\n")
    assert "1 changes that break on PHP 8.0" in markdown
    assert "Minor updates: newer builds of the same line are applied within the plan" in (markdown)
    assert f"shop: PHP 7.4 → 8.0 proposed, {data['hours']['expected']:g} hours (between " in out


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """The demo's inventory as project shop (PHP 7.4, plan standard) on a real git repo."""
    return _workspace(tmp_path)[0]


def test_nothing_is_proposed_when_no_newer_line_is_offered_or_the_plan_says_no(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--root", str(root), "propose", "--all", "--offered", "7.4")
    assert (code, out) == (0, "shop: nothing proposed (no PHP line newer than 7.4 is offered)\n")
    shop = root / "inventories" / "shop.yml"
    shop.write_text(shop.read_text().replace("plan: standard", "plan: basic"))
    assert load_project(Workspace(root), "shop").care is not None
    code, out, _ = run(capsys, "--root", str(root), "propose", "shop", "--offered", "8.0", "--json")
    (done,) = json.loads(out)["data"]
    assert (code, done["to_line"], done["why"]) == (
        0,
        None,
        "plan basic has no major-upgrade proposals",
    )
    assert not (root / "reports" / "proposals").exists()


def test_bad_offered_lines_are_a_usage_error(
    root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--root", str(root), "propose", "shop", "--offered", "8.x")
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1 and "--offered" in err
