"""Commands over a selection of projects, through main(): two projects whose hosts do not
answer (127.0.0.1 with nothing listening: real failures), one after another, a header per
project, one summary, exit 1 if any failed; bad selections are one line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.cli.test_check import INVENTORY
from tests.unit.run_cli import run_cli as run

BLOG = INVENTORY.replace("shop", "blog").replace(
    "environments:\n", "labels: {client: acme}\nenvironments:\n", 1
)


@pytest.fixture
def repo(workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("UPKEEP_STATE_DIR", str(tmp_path / "state"))
    (workspace / "inventories" / "shop.yml").write_text(INVENTORY)
    (workspace / "inventories" / "blog.yml").write_text(BLOG)
    return workspace


def test_drift_over_all_runs_each_project_then_one_summary_and_exits_1(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "drift", "--all")
    assert code == 1  # hosts unreachable: each project failed, not bad input
    assert out.index("== blog ==") < out.index("== shop ==") < out.index("summary:")
    summary = out[out.index("summary:") :].splitlines()
    assert summary[0] == "summary: 0 of 2 projects succeeded"
    assert summary[1].startswith("  blog: failed: unreachable: ")
    assert summary[2].startswith("  shop: failed: unreachable: ")
    assert "Traceback" not in err


def test_drift_json_over_several_projects_is_a_list_one_over_one_project_as_before(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "drift", "shop", "blog", "--json")
    wrapped = json.loads(out)
    assert code == 1 and wrapped["exit_code"] == 1
    assert [entry["project"] for entry in wrapped["data"]] == ["blog", "shop"]
    assert [entry["exit_code"] for entry in wrapped["data"]] == [2, 2]
    assert wrapped["data"][1]["data"]["project"] == "shop"
    assert [e["message"].split(":")[0] for e in wrapped["errors"]] == ["blog", "shop"]
    code, out, _ = run(capsys, "drift", "shop", "--json")
    assert code == 2 and json.loads(out)["data"]["project"] == "shop"


def test_where_selects_by_label_and_a_success_is_summarised_as_ok(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "inventory", "show", "--where", "client=acme")
    assert code == 0 and "project: blog" in out and "project: shop" not in out
    assert "== blog ==" not in out  # one project: as before, no header, no summary
    code, out, _ = run(capsys, "inventory", "show", "--all")
    assert code == 0
    assert out.splitlines()[-3:] == [
        "summary: 2 of 2 projects succeeded",
        "  blog: ok",
        "  shop: ok",
    ]


def test_names_with_where_are_narrowed_and_environments_follow_them(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "check", "shop", "blog", "staging", "--where", "client=acme")
    assert code == 2 and "== blog ==" not in out  # one project selected: as before
    assert "staging" in out and "production" not in out
    code, out, err = run(capsys, "provision", "--where", "client=acme", "qa")
    assert (
        code == 2
        and err == "upkeep: project blog has no environment 'qa' (it has: staging, production)\n"
    )


def test_check_over_a_selection_with_environments(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "check", "--all", "staging", "--no-history")
    assert code == 1
    assert "summary: 0 of 2 projects succeeded" in out
    assert "  blog: failed: critical: staging " in out
    assert "production" not in out[out.index("summary:") :]


def test_provision_over_all_goes_on_after_a_failed_project_and_exits_1(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "provision", "--all", "staging")
    assert code == 1
    assert out.index("== blog ==") < out.index("== shop ==") < out.index("summary:")
    assert "  blog: failed: cannot take the lock" in out and "  shop: failed: cannot" in out
    assert err.count("upkeep: cannot take the lock") == 2  # each said where it happened


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["drift"], "the following arguments are required: project (see upkeep drift --help)"),
        (["drift", "shop", "--all"], "give project names or --all, not both (shop and --all)"),
        (
            ["drift", "--where", "client"],
            "--where 'client': write KEY=VALUE, e.g. --where client=acme",
        ),
        (
            ["drift", "--where", "client=initech"],
            "no project matches client=initech in {inventories}",
        ),
        (
            ["drift", "shop", "nope"],
            "no project 'nope' in {inventories} (known projects: blog, shop)",
        ),
        (
            ["check", "--all", "qa"],
            "project blog has no environment 'qa' (it has: staging, production)",
        ),
        (
            ["check", "--all", "--nagios"],
            "--nagios checks one project (a plugin reports one service)",
        ),
        (["provision", "--all"], "no environment given: name them after the projects (or 'all')"),
    ],
)
def test_bad_selections_are_one_line_and_exit_2_before_anything_runs(
    repo: Path, capsys: pytest.CaptureFixture[str], args: list[str], line: str
) -> None:
    code, out, err = run(capsys, *args)
    expected = line.format(inventories=repo / "inventories")
    if "--nagios" in args:
        assert (code, out, err) == (3, f"UPKEEP UNKNOWN - {expected}\n", "")
    else:
        assert (code, out, err) == (2, "", f"upkeep: {expected}\n")
