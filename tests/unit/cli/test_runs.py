"""Every run goes on record through ``main()`` (real commands, hosts that refuse SSH, a real
SQLite store), whatever its outcome; secrets stay out; a broken store never fails a command;
``upkeep runs`` lists them."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.unit.cli.test_check import INVENTORY
from tests.unit.run_cli import run_cli as run
from upkeep import __version__
from upkeep.monitor.history import one_recorder
from upkeep.state import Location, Run, Store
from upkeep.state.runs import STARTED

ROOT = Path(__file__).resolve().parents[3]
SECRET = "Pa55-hunter2-s3cret"


@pytest.fixture
def repo(workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("UPKEEP_STATE_DIR", str(tmp_path / "state"))
    (workspace / "inventories" / "shop.yml").write_text(INVENTORY)
    return workspace


def recorded(store: Path) -> list[Run]:
    with Store(Location(f"sqlite:///{store}", store)) as opened:
        return opened.runs()


def test_a_succeeding_run_is_recorded_with_its_projects_and_reports(
    repo: Path, state_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, "sla", "report", "shop", "--month", "2026-11", "--output", f"{tmp_path}/sla"
    )
    assert code == 0, err
    [done] = recorded(state_store)
    assert (done.command, done.projects, done.status, done.exit_code) == (
        "sla report",
        ("shop",),
        "ok",
        0,
    )
    assert sorted(done.reports) == sorted(str(p) for p in (tmp_path / "sla").iterdir())
    assert len(done.reports) == 3
    assert done.upkeep_version == __version__ and done.who.endswith(f"@{done.machine}")
    assert done.started <= done.ended and done.duration_seconds >= 0


def test_reports_written_by_parallel_projects_are_recorded_too(
    repo: Path, state_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blog = INVENTORY.replace("shop", "blog")  # a second project, each run in its own process
    (repo / "inventories" / "blog.yml").write_text(blog)
    argv = ["sla", "report", "--all", "--month", "2026-11", "--parallel", "2"]
    code, _, err = run(capsys, *argv, "--output", f"{tmp_path}/sla/")
    assert code == 0, err
    [done] = recorded(state_store)
    assert done.projects == ("blog", "shop")
    written = sorted(str(path) for path in (tmp_path / "sla").iterdir())
    assert len(written) == 6 and sorted(done.reports) == written


def test_a_failing_and_a_refused_run_are_recorded_with_their_exit_codes(
    repo: Path, state_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "ping", "shop")[0] == 1  # its hosts refuse SSH
    assert run(capsys, "provision", "nosuch", "staging")[0] == 2
    refused, failed = recorded(state_store)
    assert (failed.command, failed.projects, failed.status, failed.exit_code) == (
        "ping",
        ("shop",),
        "failed",
        1,
    )
    assert (refused.command, refused.projects, refused.status, refused.exit_code) == (
        "provision",
        (),  # no inventory by that name: not a project
        "error",
        2,
    )


def test_read_outs_are_not_recorded(
    repo: Path, state_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in (["runs"], ["state", "check"], ["inventory", "show", "shop"]):
        assert run(capsys, *command)[0] == 0
    assert recorded(state_store) == []


@pytest.mark.parametrize(
    ("sent", "status", "code"),
    [(signal.SIGINT, "interrupted", 1), (signal.SIGKILL, STARTED, -1)],  # kill -9: no end
)
def test_an_interrupted_or_killed_run_is_recorded(
    repo: Path,
    state_store: Path,
    tmp_path: Path,
    sent: signal.Signals,
    status: str,
    code: int,
    capsys: pytest.CaptureFixture[str],
) -> None:
    history = tmp_path / "history.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with one_recorder(history):  # the check waits for this "other run" until interrupted
        command = [sys.executable, "-m", "upkeep.cli.main", "--progress", "check", "shop"]
        child = subprocess.Popen(
            [*command, "staging", "--history", str(history)],
            cwd=repo,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert child.stderr is not None
        deadline = time.monotonic() + 60
        while "waiting for it" not in child.stderr.readline():
            assert time.monotonic() < deadline and child.poll() is None
        child.send_signal(sent)
        _, err = child.communicate(timeout=60)
    if sent is signal.SIGINT:
        assert child.returncode == 1 and "upkeep: interrupted" in err
    [interrupted] = recorded(state_store)
    assert (interrupted.command, interrupted.projects, interrupted.status) == (
        "check",
        ("shop",),
        status,
    )
    assert interrupted.exit_code == code
    assert interrupted.state_home == str(tmp_path / "state")
    _, out, _ = run(capsys, "runs")
    shown = "started (no end recorded)" if code < 0 else "interrupted (1)"
    assert shown in out.splitlines()[2]


def test_values_typed_on_the_command_line_never_reach_the_store(
    repo: Path, state_store: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "ping", "shop", SECRET)  # as an environment word
    run(capsys, "provision", SECRET, "staging")  # as a project word
    run(capsys, "check", "shop", "staging", "--history", f"{tmp_path}/{SECRET}.db")  # an option
    assert len(recorded(state_store)) == 3
    with sqlite3.connect(state_store) as db:
        everything = "\n".join(db.iterdump())
    assert "shop" in everything and SECRET not in everything


def test_a_store_that_cannot_be_written_warns_and_keeps_the_exit_code(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a-file").write_text("not a directory\n")
    monkeypatch.setenv("UPKEEP_DATABASE_URL", f"sqlite:///{tmp_path}/a-file/upkeep.db")
    for argv, expected in ((["ping", "shop"], 1), (["provision", "nosuch", "staging"], 2)):
        code, _, err = run(capsys, *argv)
        assert code == expected
        [warning] = [line for line in err.splitlines() if "warning" in line]
        assert warning.startswith("upkeep: warning: this run was not recorded (")
        assert "a-file/upkeep.db: cannot create the state store" in warning
    monkeypatch.setenv("UPKEEP_DATABASE_URL", "postgresql://ops:hunter2@127.0.0.1:1/upkeep")
    code, _, err = run(capsys, "ping", "shop")
    assert code == 1 and "cannot reach the state store" in err and "hunter2" not in err


def test_runs_lists_newest_first_and_filters(
    repo: Path, state_store: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "ping", "shop")
    run(capsys, "provision", "nosuch", "staging")
    code, out, _ = run(capsys, "runs")
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:4] == ["when", "(UTC)", "who", "command"]
    assert [line.split()[3] for line in lines[2:]] == ["provision", "ping"]
    code, out, _ = run(capsys, "runs", "--project", "shop", "--json")
    data = json.loads(out)["data"]
    assert code == 0 and [(r["command"], r["projects"]) for r in data] == [("ping", ["shop"])]
    assert [
        r["command"] for r in json.loads(run(capsys, "runs", "--limit", "1", "--json")[1])["data"]
    ] == ["provision"]
    assert json.loads(run(capsys, "runs", "--since", "24h", "--json")[1])["data"] != []
    assert json.loads(run(capsys, "runs", "--since", "2999-01-01", "--json")[1])["data"] == []
    code, out, _ = run(capsys, "runs", "--project", "blog")
    assert (code, out) == (0, "no runs recorded (with these filters)\n")


@pytest.mark.parametrize("bad", [["--since", "yesterday"], ["--limit", "0"]])
def test_runs_refuses_bad_filters_in_one_line(
    repo: Path, bad: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "runs", *bad)
    assert (code, out) == (2, "") and len(err.splitlines()) == 1 and "Traceback" not in err
