"""schedule and sla report over a selection (the one grammar), through main(): each
project's files where the one-project command would put them (under --output, a directory
per project), then one summary; an --output that holds one project's report is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.cli.test_selectors import repo  # noqa: F401  (the fixture: shop and blog)
from tests.unit.run_cli import run_cli as run

pytestmark = pytest.mark.usefixtures("repo")


def test_schedule_over_all_writes_each_projects_files_in_a_directory_of_its_own(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "schedule", "--all", "--output", str(tmp_path / "out"))
    assert code == 0
    assert out.index("== blog ==") < out.index("== shop ==") < out.index("summary:")
    assert out.splitlines()[-3:] == [
        "summary: 2 of 2 projects succeeded",
        "  blog: ok",
        "  shop: ok",
    ]
    for project in ("blog", "shop"):
        files = {path.name for path in (tmp_path / "out" / project).iterdir()}
        assert f"upkeep-{project}-check.timer" in files, files
    code, out, _ = run(capsys, "schedule", "--all", "--output", str(tmp_path / "out"), "--json")
    wrapped = json.loads(out)
    assert code == 0 and [entry["project"] for entry in wrapped["data"]] == ["blog", "shop"]
    assert all(
        {f["status"] for f in entry["data"]["files"]} == {"unchanged"} for entry in wrapped["data"]
    )


def test_sla_report_over_all_writes_a_report_per_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = tmp_path / "sla"
    code, out, err = run(
        capsys, "sla", "report", "--all", "--month", "2026-11", "--output", str(where)
    )
    assert code == 0, err
    assert out.index("== blog ==") < out.index("== shop ==") < out.index("summary:")
    assert {path.name for path in where.iterdir()} == {
        f"{project}-2026-11.{fmt}" for project in ("blog", "shop") for fmt in ("md", "html", "json")
    }


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["sla", "report", "--all", "--output", "{tmp}/one.md"],
            "--output {tmp}/one.md holds one project's report; give a directory for several",
        ),
        (
            ["schedule", "--all", "--output", "-"],
            "--output -: schedule writes several files (systemd units, a cron file, CI "
            "pipelines), not one for stdout; give a directory, or list them with --dry-run",
        ),
    ],
)
def test_an_output_for_one_project_is_refused_for_several(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], line: str
) -> None:
    words = [word.format(tmp=tmp_path) for word in args]
    assert run(capsys, *words) == (2, "", f"upkeep: {line.format(tmp=tmp_path)}\n")
    assert not (tmp_path / "one.md").exists()
