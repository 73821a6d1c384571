"""`upkeep fleet status` on the lab (issue 17, item 4): after `upkeep check demo` recorded a
history, every environment's row says what is pinned, the certificate's days left and
this month's SLA from that history, and `--drift` reads the hosts: nothing needs attention,
and the demo's warranty (issue 19) holds on every count.
(The demo's rows: the lab's other project, wordpress, has its own test.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from upkeep.cli.main import main

from .conftest import ENVIRONMENTS, RunningLab, model


def upkeep(lab: RunningLab, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["--root", str(lab.workspace.root), *args])
    return code, capsys.readouterr().out


def test_fleet_status_after_a_check_on_the_provisioned_lab(
    provisioned: RunningLab, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    history = tmp_path / "monitor.db"
    code, _ = upkeep(provisioned, capsys, "check", "demo", "--json", "--history", str(history))
    assert code == 0
    code, out = upkeep(
        provisioned,
        capsys,
        *("fleet", "status", "demo", "--drift", "--json", "--history", str(history)),
    )
    envelope = json.loads(out)
    assert (code, envelope["status"], envelope["errors"]) == (0, "ok", [])
    _, pins = model(provisioned.workspace)
    rows = {row["environment"]: row for row in envelope["data"]["rows"]}
    assert list(rows) == ENVIRONMENTS
    for environment, row in rows.items():
        assert row["php_pinned"]["text"] == pins.get(environment).php_build
        assert row["drift"] == {"text": "in sync", "source": "drift, live"}
        assert row["open_incidents"] == {"text": "0", "source": f"history {history}"}
        days = float(row["certificate"]["text"].removesuffix(" days"))
        assert 80 < days <= 90 and row["certificate"]["source"].startswith("certificate check at ")
    # The demo's SLA counts weekday office hours only: outside them nothing is observed yet.
    assert rows["production"]["sla"]["text"] in {"100.000% (target 99.9%)", "not observed"}
    code, out = upkeep(provisioned, capsys, "fleet", "status", "demo", "--history", str(history))
    assert code == 0 and out.splitlines()[-1] == "nothing needs attention"
    # The warranty from the same history and the hosts' drift: every condition holds.
    code, out = upkeep(
        provisioned,
        capsys,
        *("warranty", "demo", "--drift", "--json", "--history", str(history)),
    )
    (warranty,) = json.loads(out)["data"]
    assert code == 0 and warranty["status"] in {"active", "expired"}  # the demo's date is fixed
    assert {item["what"]: item["holds"] for item in warranty["evidence"]} == {
        "period": warranty["status"] == "active",
        "monitoring": True,
        "dev": True,
        "staging": True,
        "sla": True,
    }
