"""``--output -`` means stdout, through the CLI's main():

- ``sla report --format F --output -`` prints that report (the same text the file gets)
  and writes no file, its summary going to stderr; without one format, or with
  ``--json`` (stdout twice), it is refused: one line, exit 2, nothing written;
- ``schedule --output -`` is refused (exit 2, nothing written): it writes a
  directory of files, which stdout cannot hold.

(``estimate --output -`` already worked; tests/unit/estimate/test_estimate_cli.py.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit import shop
from tests.unit.run_cli import run_cli as run

INVENTORY = shop.WITH_SLA_AND_STAGING

MONTH = ("--month", "2026-11")


@pytest.fixture
def repo(workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("UPKEEP_STATE_DIR", str(tmp_path / "state"))  # no history: no incidents
    (workspace / "inventories" / "shop.yml").write_text(INVENTORY)
    return workspace


def files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("fmt", ["md", "html", "json"])
def test_sla_report_output_dash_prints_the_report_and_writes_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str
) -> None:
    before = files(repo)
    code, out, err = run(capsys, "sla", "report", "shop", *MONTH, "--format", fmt, "--output", "-")
    assert code == 0
    assert files(repo) == before  # no file named "-", no reports/ directory
    assert err.startswith("shop 2026-11: ") and "target 99.5 %" in err  # the summary, aside

    as_file = tmp_path / f"one.{fmt}"
    code, _, _ = run(capsys, "sla", "report", "shop", *MONTH, "--output", str(as_file))
    assert code == 0
    if fmt == "json":  # the same report, but for the moment each was generated
        printed, written = json.loads(out), json.loads(as_file.read_text())
        assert printed.pop("generated") and written.pop("generated")
        assert printed == written and printed["month"] == "2026-11"
    else:
        assert out == as_file.read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--output", "-"], "--output - (stdout) takes one format: add --format md, html or json"),
        (
            ["--format", "json", "--output", "-", "--json"],
            "--output - and --json both print on stdout; choose one",
        ),
    ],
)
def test_sla_report_output_dash_needs_one_text_for_stdout(
    repo: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    before = files(repo)
    code, out, err = run(capsys, "sla", "report", "shop", *MONTH, *args)
    assert (code, err) == (2, f"upkeep: {message}\n")
    if "--json" in args:  # asked for JSON: the refusal comes as its envelope on stdout too
        assert json.loads(out)["errors"] == [{"message": message}]
    else:
        assert out == ""
    assert files(repo) == before


def test_schedule_output_dash_is_refused_and_writes_nothing(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = files(repo)
    code, out, err = run(capsys, "schedule", "shop", "--output", "-")
    assert code == 2 and out == ""
    assert err == (
        "upkeep: --output -: schedule writes several files (systemd units, a cron file, CI "
        "pipelines), not one for stdout; give a directory, or list them with --dry-run\n"
    )
    assert files(repo) == before and not (repo / "-").exists()
