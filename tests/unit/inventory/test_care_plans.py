"""Care plans defined once in inventories/plans.yml, named by the projects' care: sections;
`inventory check` reports a bad plan with its file and line, through main()."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.inventory.test_cli import GOOD
from tests.unit.inventory.test_servers import check, write
from tests.unit.run_cli import run_cli
from upkeep.errors import UsageError
from upkeep.inventory import discover, load_project
from upkeep.workspace import Workspace

# Line numbers in the cases below refer to these texts.
PLANS = """\
sla:
  business-hours:
    target: 99.9
    calendar: {timezone: Europe/Warsaw, hours: {mon-fri: "09:00-17:00"}, holidays: PL}
    priorities:
      P1: {response: 30m, resolution: 4h}
plans:
  basic:
    sla: null
    environments: [production]
    support: none
  standard:
    sla: business-hours
    major_proposals: true
    warranty_days: 90
"""

CARE = """\
care:
  plan: standard
  accepted: 2026-10-01
  client: {name: ACME sp. z o.o., contact: it@acme.example, language: pl}
"""

# GOOD (32 lines) with the care section from line 33 on.
SHOP = GOOD + CARE

SLA = """\
sla:
  target: 99.5
  calendar: {timezone: Europe/Warsaw}
"""


def write_plans(workspace: Path, shop: str = SHOP, plans: str = PLANS) -> None:
    write(workspace, "plans.yml", plans)
    write(workspace, "shop.yml", shop)


def test_a_project_gets_its_plans_parts_and_its_sla(workspace: Path) -> None:
    write_plans(workspace)
    project = load_project(Workspace(workspace), "shop")
    care = project.care
    assert care is not None
    assert (care.plan, care.sla, care.major_proposals, care.warranty_days) == (
        "standard",
        "business-hours",
        True,
        90,
    )
    assert (care.client.name, care.client.language, str(care.accepted)) == (
        "ACME sp. z o.o.",
        "pl",
        "2026-10-01",
    )
    assert project.sla is not None and project.sla.target == 99.9  # the plan's, written once


def test_a_projects_own_parts_and_sla_win_over_its_plans(workspace: Path) -> None:
    write_plans(workspace, SHOP + "  warranty_days: 120\n  support: 24/7\n" + SLA)
    project = load_project(Workspace(workspace), "shop")
    assert project.care is not None
    assert (project.care.warranty_days, project.care.support) == (120, "24/7")
    assert project.sla is not None and project.sla.target == 99.5


def test_a_plan_without_sla_leaves_the_project_without_one(workspace: Path) -> None:
    write_plans(workspace, SHOP.replace("plan: standard", "plan: basic"))
    project = load_project(Workspace(workspace), "shop")
    assert project.sla is None
    assert project.care is not None and project.care.environments == ("production",)


def test_the_plans_file_is_not_a_project(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_plans(workspace)
    assert check(workspace, capsys) == (0, [])
    assert [path.name for path in discover(Workspace(workspace))] == ["shop.yml"]
    with pytest.raises(UsageError, match=r"plans\.yml defines the care plans"):
        load_project(Workspace(workspace), "plans")


# (id, file, old text, new text, expected problem line)
BROKEN = [
    (
        "unknown-plan",
        "shop.yml",
        "plan: standard",
        "plan: standrd",
        "inventories/shop.yml:34: care.plan: unknown care plan 'standrd' (define it in "
        "plans.yml beside the projects; known plans: basic, standard)",
    ),
    (
        "no-plans-file",
        "plans.yml",
        PLANS,
        "",
        "inventories/shop.yml:34: care.plan: unknown care plan 'standard' (define it in "
        "plans.yml beside the projects; known plans: none defined)",
    ),
    (
        "language",
        "shop.yml",
        "language: pl",
        "language: de",
        "inventories/shop.yml:36: care.client.language: 'de' is not one of 'pl' or 'en'",
    ),
    (
        "contact",
        "shop.yml",
        "contact: it@acme.example",
        "contact: ACME IT",
        "inventories/shop.yml:36: care.client.contact: 'ACME IT' is not a mail address "
        "(write e.g. ops@example.com)",
    ),
    (
        "accepted",
        "shop.yml",
        "accepted: 2026-10-01",
        "accepted: 1st of October",
        "inventories/shop.yml:35: care.accepted: expected a date such as 2026-12-31, "
        "got '1st of October'",
    ),
    (
        "override-typo",
        "shop.yml",
        "  accepted: 2026-10-01\n",
        "  accepted: 2026-10-01\n  warranty_dayz: 120\n",
        "inventories/shop.yml:36: care.warranty_dayz: unknown key (did you mean 'warranty_days'?)",
    ),
    (
        "override-negative",
        "shop.yml",
        "  accepted: 2026-10-01\n",
        "  accepted: 2026-10-01\n  warranty_days: -1\n",
        "inventories/shop.yml:36: care.warranty_days: the number -1 is too small (use at least 0)",
    ),
    (
        "override-unknown-policy",
        "shop.yml",
        "  accepted: 2026-10-01\n",
        "  accepted: 2026-10-01\n  sla: round-the-clock\n",
        "inventories/shop.yml:36: care.sla: unknown SLA policy 'round-the-clock' (define it "
        "under sla: in plans.yml; known policies: business-hours)",
    ),
    (
        "plan-support",
        "plans.yml",
        "support: none",
        "support: nobody",
        "inventories/plans.yml:11: plans.basic.support: 'nobody' is not one of 'none', "
        "'business-hours' or '24/7'",
    ),
    (
        "plan-environment",
        "plans.yml",
        "environments: [production]",
        "environments: [prod]",
        "inventories/plans.yml:10: plans.basic.environments[0]: 'prod' is not one of 'dev', "
        "'staging' or 'production'",
    ),
    (
        "plan-unknown-policy",
        "plans.yml",
        "sla: business-hours",
        "sla: business-hour",
        "inventories/plans.yml:13: plans.standard.sla: unknown SLA policy 'business-hour' "
        "(define it under sla:; known: business-hours)",
    ),
    (
        "plan-bad-policy",
        "plans.yml",
        "target: 99.9",
        "target: 0.999",
        "inventories/plans.yml:3: sla.business-hours.target: 0.999 looks like a fraction; "
        "write the percentage (0.999 is 99.9)",
    ),
    (
        "plan-with-a-bad-policy",
        "plans.yml",
        "target: 99.9",
        "target: 0.999",
        "inventories/shop.yml:34: care.plan: care plan 'standard' has problems in plans.yml "
        "(fix them there)",
    ),
    (
        "plan-unknown-key",
        "plans.yml",
        "major_proposals: true",
        "major_proposal: true",
        "inventories/plans.yml:14: plans.standard.major_proposal: unknown key (did you mean "
        "'major_proposals'?)",
    ),
]


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [case[1:] for case in BROKEN],
    ids=[case[0] for case in BROKEN],
)
def test_a_bad_plan_is_reported_with_its_file_and_line(
    workspace: Path,
    capsys: pytest.CaptureFixture[str],
    file: str,
    old: str,
    new: str,
    expected: str,
) -> None:
    texts = {"shop.yml": SHOP, "plans.yml": PLANS}
    assert old in texts[file], "the case must change a good file"
    texts[file] = texts[file].replace(old, new, 1)
    write_plans(workspace, texts["shop.yml"], texts["plans.yml"])
    if not texts["plans.yml"]:
        (workspace / "inventories" / "plans.yml").unlink()
    code, lines = check(workspace, capsys)
    assert code == 2
    assert expected in lines


def test_a_misnamed_plans_file_is_reported(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_plans(workspace)
    (workspace / "inventories" / "plans.yml").rename(workspace / "inventories" / "plans.yaml")
    code, lines = check(workspace, capsys)
    assert code == 2
    assert "inventories/plans.yaml: (file): the care plans file is plans.yml (rename it)" in lines


def test_inventory_show_gives_the_plan_with_the_projects_own_parts(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_plans(workspace, SHOP + "  warranty_days: 120\n")
    code, out, _ = run_cli(capsys, "--root", str(workspace), "inventory", "show", "shop", "--json")
    care = json.loads(out)["data"]["care"]
    assert code == 0
    assert (care["plan"], care["sla"], care["warranty_days"], care["accepted"]) == (
        "standard",
        "business-hours",
        120,
        "2026-10-01",
    )
