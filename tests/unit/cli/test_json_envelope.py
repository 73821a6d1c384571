"""Every ``--json`` output is one versioned envelope (upkeep.reports.envelope).

The parser tree is walked, so a command that offers ``--json`` without a case
here fails; each case runs the real command (hosts at 127.0.0.1 refuse SSH, no
stand-ins) and its stdout must be exactly one envelope naming that command,
with the exit code the command returned. Refusals in ``--json`` mode (exit 2)
come as an envelope too, their line also on stderr.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest

from tests.unit.cli.test_check import INVENTORY
from tests.unit.run_cli import run_cli as run
from upkeep import __version__
from upkeep.cli.main import build_parser, leaf_commands
from upkeep.reports.envelope import FIELDS, SCHEMA

ROOT = Path(__file__).resolve().parents[3]
ESTIMATE_FIXTURE = ROOT / "tests" / "fixtures" / "estimate" / "polyfill"

# command -> (its arguments after the command's words, the exit code, the status)
CASES: dict[str, tuple[list[str], int, str]] = {
    "inventory check": ([], 0, "ok"),
    "inventory show": (["shop"], 0, "ok"),
    "lab up": ([], 2, "error"),  # UPKEEP_LAB_HOSTS_PER_ENV=0: refused before any container
    "lab status": ([], 2, "error"),
    "lab down": ([], 2, "error"),
    "ping": (["shop"], 1, "failed"),
    "provision": (["nosuch", "staging"], 2, "error"),
    "drift": (["shop"], 2, "error"),  # its hosts unreachable: the report, and exit 2
    "deploy": (["nosuch", "staging"], 2, "error"),
    "rollback": (["nosuch", "staging"], 2, "error"),
    "refresh": (["nosuch", "--yes"], 2, "error"),
    "update minor": (["nosuch", "--yes"], 2, "error"),
    "update status": (["shop"], 0, "ok"),
    "update resume": (["nosuch", "--yes"], 2, "error"),
    "update abort": (["nosuch", "--yes"], 2, "error"),
    "estimate": (["--path", str(ESTIMATE_FIXTURE), "--from", "7.4", "--to", "8.0"], 0, "ok"),
    "schedule": (["shop", "--dry-run"], 0, "ok"),
    "check": (["shop", "--no-history"], 2, "critical"),
    "incident list": (["shop", "--history", "{tmp}/none.db"], 2, "error"),
    "incident ack": (["shop", "1", "--history", "{tmp}/none.db"], 2, "error"),
    "sla report": (["shop", "--month", "2026-11", "--output", "{tmp}/sla"], 0, "ok"),
    "care report": (
        ["shop", "--month", "2026-11", "--format", "json", "--output", "{tmp}/care/"],
        0,
        "ok",
    ),
    "dev up": (["nosuch"], 2, "error"),
    "dev status": (["nosuch"], 2, "error"),
    "dev down": (["nosuch"], 2, "error"),
    "fleet status": (["shop"], 0, "ok"),
    "dashboard build": (["shop", "--output", "{tmp}/site"], 0, "ok"),
    "runs": (["--project", "shop"], 0, "ok"),
    "state check": ([], 0, "ok"),
    "warranty": (["shop"], 0, "ok"),  # no care plan: no warranty, nothing void
    "propose": (["shop", "--offered", "8.4"], 0, "ok"),  # no care plan: nothing proposed
}


def json_commands() -> list[str]:
    """Every command whose parser offers --json, as typed after ``upkeep``."""
    return [
        name
        for name, parser in leaf_commands(build_parser())
        if any("--json" in action.option_strings for action in parser._actions)
    ]


@pytest.fixture
def repo(workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("UPKEEP_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("UPKEEP_LAB_HOSTS_PER_ENV", "0")
    (workspace / "inventories" / "shop.yml").write_text(INVENTORY)
    return workspace


def assert_envelope(out: str, command: str, code: int) -> dict[str, Any]:
    wrapped = json.loads(out)  # one JSON document, nothing else on stdout
    assert tuple(wrapped) == FIELDS
    assert (wrapped["schema"], wrapped["command"], wrapped["upkeep_version"]) == (
        SCHEMA,
        command,
        __version__,
    )
    assert wrapped["exit_code"] == code
    assert all(set(error) == {"message"} and error["message"] for error in wrapped["errors"])
    return wrapped


def test_every_json_command_has_a_case() -> None:
    assert sorted(json_commands()) == sorted(CASES)


@pytest.mark.parametrize("command", sorted(CASES))
def test_json_output_is_the_envelope(
    command: str, repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args, expected_code, status = CASES[command]
    argv = [*command.split(), *(a.replace("{tmp}", str(tmp_path)) for a in args), "--json"]
    code, out, err = run(capsys, *argv)
    assert code == expected_code, err
    wrapped = assert_envelope(out, command, code)
    assert wrapped["status"] == status
    if status == "error" and wrapped["data"] is None:  # refused: the same line on stderr
        assert wrapped["errors"] and all(
            f"upkeep: {error['message']}" in err for error in wrapped["errors"]
        )
    else:  # the command's value (update status with no run yet: null, as before)
        assert wrapped["data"] is not None or command == "update status"


def test_a_usage_error_in_json_mode_is_an_envelope_too(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "update", "minor", "shop", "--json", "--no-such-option")
    wrapped = assert_envelope(out, "update minor", 2)
    assert (code, wrapped["status"], wrapped["data"]) == (2, "error", None)
    [error] = wrapped["errors"]
    assert "unrecognized arguments: --no-such-option" in error["message"]
    assert err == f"upkeep: error: {error['message']}\n"


def test_without_json_a_usage_error_prints_nothing_on_stdout(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "update", "minor", "shop", "--no-such-option")
    assert (code, out) == (2, "") and err.startswith("upkeep: error: unrecognized arguments")


def test_no_cli_module_writes_json_but_through_the_envelope() -> None:
    """JSON reaches stdout only through cli.output.print_json, so it always carries the envelope."""
    for path in sorted((ROOT / "upkeep" / "cli").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        } | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert "json" not in imported, path.name
