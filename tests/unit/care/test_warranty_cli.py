"""`upkeep warranty` through main(): the evidence and the next change as text and in the
--json envelope, from a real monitoring history; exit 1 for a void warranty, 2 for bad input."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tests.unit.care.test_warranty import SHOP
from tests.unit.inventory.test_care_plans import PLANS
from tests.unit.inventory.test_servers import write
from tests.unit.run_cli import run_cli as run
from upkeep.monitor.history import History
from upkeep.monitor.result import CheckResult, Status


@pytest.fixture
def repo(workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """shop on the standard plan, accepted today, so its warranty runs whatever the date."""
    monkeypatch.setenv("UPKEEP_STATE_DIR", str(tmp_path / "state"))
    write(workspace, "plans.yml", PLANS)
    today = dt.datetime.now(dt.UTC).date()
    write(workspace, "shop.yml", SHOP.replace("2026-10-01", str(today - dt.timedelta(days=1))))
    return workspace


def recorded(path: Path, hours_ago: float) -> Path:
    at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours_ago)
    with History(path) as history:
        history.record([CheckResult("shop", "production", "health", Status.OK, "ok", at=at)])
    return path


def test_active_with_its_evidence_and_next_change(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history = recorded(tmp_path / "monitor.db", 1)
    code, out, err = run(capsys, "warranty", "shop", "--history", str(history))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("shop: warranty active through ")
    assert lines[0].endswith("(plan standard, client ACME sp. z o.o.)")
    assert lines[2].startswith("  monitoring  ok    1 check results in production in the last day")
    assert lines[2].endswith(f"[history {history}]")
    assert (
        lines[3] == "  dev         ?     dev in the inventory; drift not checked (--drift reads it)"
    )
    assert lines[-1].startswith("  next change: ")
    assert lines[-1].endswith(
        ", void (no check result for a day, unless monitoring records one before then)"
    )


def test_void_exits_1_with_its_reason_in_the_envelope(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    history = recorded(tmp_path / "monitor.db", 30)
    code, out, _ = run(capsys, "warranty", "--all", "--history", str(history), "--json")
    envelope = json.loads(out)
    assert (code, envelope["exit_code"], envelope["status"]) == (1, 1, "void")
    reason = "monitoring is not running: no check result in production in the last day"
    assert envelope["errors"] == [{"message": f"shop: void: {reason}"}]
    (found,) = envelope["data"]
    assert (found["project"], found["status"], found["reasons"]) == ("shop", "void", [reason])
    assert found["next_change"]["status"] == "expired"
    assert [item["what"] for item in found["evidence"]] == [
        "period",
        "monitoring",
        "dev",
        "staging",
        "sla",
    ]


def test_no_history_kept_is_void_not_an_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "warranty", "shop")
    assert (code, err) == (1, "")
    assert (
        out.splitlines()[0]
        == "shop: warranty void: monitoring is not running: no history kept (plan standard, client ACME sp. z o.o.)"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nosuch",), "upkeep: no project 'nosuch' in "),
        (("shop", "--history", "/no/such.db"), "upkeep: /no/such.db: no such monitoring history"),
        ((), "upkeep: the following arguments are required: project"),
    ],
    ids=["unknown-project", "missing-history", "no-selection"],
)
def test_bad_input_exits_2_with_one_line(
    repo: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], message: str
) -> None:
    code, out, err = run(capsys, "warranty", *args)
    assert (code, out) == (2, "")
    assert len(err.splitlines()) == 1 and err.startswith(message), err
