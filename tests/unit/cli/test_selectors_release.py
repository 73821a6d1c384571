"""refresh, deploy, rollback and dev up over a selection (the one grammar), through main(): hosts
on 127.0.0.1 with nothing listening give each project a real failure; the run goes on to
the next, one summary, exit 1. What cannot run over several is one line and exit 2."""

from __future__ import annotations

import json

import pytest

from tests.unit.cli.test_selectors import repo  # noqa: F401  (the fixture: shop and blog)
from tests.unit.run_cli import run_cli as run


@pytest.mark.usefixtures("repo")
@pytest.mark.parametrize(
    ("args", "why"),
    [
        (["refresh", "--all", "--yes"], "asking {p}-production's database who it is failed"),
        (["refresh", "blog", "shop", "--dry-run"], "asking {p}-production's database who"),
        (["deploy", "--all", "staging", "--ref", "main"], "cannot take the lock"),
        (["rollback", "blog", "shop", "staging"], "cannot take the lock"),
        (["rollback", "--all", "production", "--parallel", "2"], "cannot take the lock"),
        (["dev", "up", "--all", "--parallel", "2"], "{p} production has no pins yet"),
    ],
)
def test_each_selected_project_runs_and_fails_on_its_own_then_one_summary(
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    why: str,
) -> None:
    code, out, err = run(capsys, *args)
    assert code == 1
    assert out.index("== blog ==") < out.index("== shop ==") < out.index("summary:")
    summary = out[out.index("summary:") :].splitlines()
    assert summary[0] == "summary: 0 of 2 projects succeeded"
    for line, project in zip(summary[1:], ("blog", "shop"), strict=True):
        assert line.startswith(f"  {project}: failed: {why.format(p=project)}")
    assert "Traceback" not in err


@pytest.mark.usefixtures("repo")
def test_one_project_answers_as_before(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "rollback", "shop", "staging")
    assert code == 1 and out == ""  # as before: no header, no summary, the error as it was
    assert err.startswith("upkeep: cannot take the lock /var/lib/upkeep/locks/shop-staging: ")
    code, out, err = run(capsys, "rollback", "shop", "staging", "--json")
    assert code == 1 and json.loads(out)["data"] is None


@pytest.mark.usefixtures("repo")
@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["refresh", "--all"],
            "refusing to replace blog, shop staging's database and files without --yes "
            "(no terminal to ask)",
        ),
        (
            ["refresh", "--all", "--restore", "/backups/x", "--yes"],
            "--restore puts back one project's backup; name one, not blog, shop",
        ),
        (["deploy", "--all"], "no environment given: name them after the projects (or 'all')"),
        (["rollback", "shop"], "no environment given: name them after the projects (or 'all')"),
        (
            ["rollback", "--all", "staging", "production"],
            "rollback takes one environment, not staging production",
        ),
        (
            ["dev", "up", "--all", "--path", "/srv/src"],
            "--path is one project's working copy; name one, not blog, shop",
        ),
        (
            ["deploy", "shop", "qa"],
            "project shop has no environment 'qa' (it has: staging, production)",
        ),
    ],
)
def test_what_cannot_run_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    line: str,
) -> None:
    assert run(capsys, *args) == (2, "", f"upkeep: {line}\n")
