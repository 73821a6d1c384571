"""``--parallel N`` through main(): each project in a child process of its own (hosts on
127.0.0.1 with nothing listening: real, fast failures), its output printed whole, plain
timestamped lines on stderr, the summary in the selection's order; a command that changes
servers never runs two projects on one server at once; bad N is one line and exit 2."""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

import pytest

from tests.unit.cli.test_check import SSH_PORT
from tests.unit.cli.test_selectors import repo  # noqa: F401  (the fixture: shop and blog)
from tests.unit.run_cli import run_cli as run
from upkeep.cli.across import Outcome, run_across
from upkeep.exitcodes import ExitCode
from upkeep.inventory import Project
from upkeep.inventory.selection import select_projects
from upkeep.workspace import find_workspace

STAMP = re.compile(r"^\d\d:\d\d:\d\d ")


def events(err: str) -> list[str]:
    """The display's plain lines on stderr, without their time stamps."""
    return [STAMP.sub("", line) for line in err.splitlines() if STAMP.match(line)]


def blocks(out: str) -> dict[str, str]:
    """Each project's output block (its header to the blank line before the next one)."""
    found = re.findall(r"^== (\w+) ==\n(.*?)(?=^== |^summary:)", out, re.S | re.M)
    return dict(found)


def test_drift_in_parallel_prints_each_project_whole_then_the_summary_in_order(
    repo: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "drift", "--all", "--parallel", "2")
    assert code == 1
    assert set(blocks(out)) == {"blog", "shop"}
    for name, text in blocks(out).items():  # never interleaved: a block names one project
        other = {"blog": "shop", "shop": "blog"}[name]
        assert f"unreachable: {name}-staging" in text and other not in text
    assert out[out.index("summary:") :].splitlines() == [
        "summary: 0 of 2 projects succeeded",
        *[
            f"  {name}: failed: unreachable: {name}-production (production): Could not "
            f"connect ([Errno None] Unable to connect to port {SSH_PORT} on 127.0.0.1); "
            f"{name}-staging (staging): Could not connect ([Errno None] Unable to connect "
            f"to port {SSH_PORT} on 127.0.0.1)"
            for name in ("blog", "shop")
        ],
    ]
    said = events(err)
    for name in ("blog", "shop"):
        assert said.index(f"{name}: running") < said.index(f"{name}: reading facts from 0 hosts")
        assert said.index(f"{name}: reading facts from 0 hosts") < next(
            i for i, line in enumerate(said) if line.startswith(f"{name}: failed: unreachable")
        )
    assert not any("waiting" in line for line in said)  # drift reads: both servers at once
    assert "Traceback" not in err


def test_provision_in_parallel_never_runs_two_projects_on_one_server_at_once(
    repo: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "provision", "--all", "staging", "--parallel", "2")
    assert code == 1
    said = events(err)
    assert said[:2] == ["blog: running", f"shop: waiting: blog is on 127.0.0.1:{SSH_PORT}"]
    blog_ended = said.index(next(line for line in said if line.startswith("blog: failed: ")))
    assert said.index("shop: running") > blog_ended
    assert "  blog: failed: cannot take the lock" in out and "  shop: failed: cannot" in out
    assert err.count("upkeep: cannot take the lock") == 2  # each project's own, in its block


def test_json_in_parallel_is_the_envelope_a_run_in_turn_gives(
    repo: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, in_turn, _ = run(capsys, "ping", "--all", "--json")
    code, at_once, _ = run(capsys, "ping", "--all", "--json", "--parallel", "3")
    assert code == 1
    timeless = re.compile(r"(?<=\"seconds\": )[0-9.]+")  # how long a host took is all that differs
    assert json.loads(timeless.sub("0", at_once)) == json.loads(timeless.sub("0", in_turn))


def test_one_project_with_parallel_runs_as_it_always_did(
    repo: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "ping", "shop", "--parallel", "2")
    assert code == 1 and "== shop ==" not in out and "summary:" not in out
    assert events(err) == []


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["drift", "--all", "--parallel", "0"],
            "argument --parallel: '0' is not a number of projects (1 or more) "
            "(see upkeep drift --help)",
        ),
        (
            ["ping", "--all", "--parallel", "two"],
            "argument --parallel: 'two' is not a number of projects (1 or more) "
            "(see upkeep ping --help)",
        ),
        (
            ["check", "--all", "--parallel", "2", "--prometheus", "out.prom"],
            "--prometheus with --parallel: each project runs in its own process and the "
            "textfile needs every result; drop one of them",
        ),
    ],
)
def test_bad_parallel_is_one_line_and_exit_2(
    repo: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    line: str,
) -> None:
    code, out, err = run(capsys, *args)
    prefix = "upkeep: error: " if "argument" in line else "upkeep: "
    assert (code, out, err) == (2, "", f"{prefix}{line}\n")


def test_blocks_come_as_projects_end_and_the_summary_in_the_selections_order(
    repo: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    selection = select_projects(find_workspace(str(repo)), ["shop", "blog"])

    def one(project: Project) -> Outcome:  # blog, first in the selection, ends last
        time.sleep(0.5 if project.name == "blog" else 0)
        print(f"{project.name} says hello")
        ok = project.name == "shop"
        return Outcome(project.name, ExitCode.OK if ok else ExitCode.FAILED, why="too slow")

    args = argparse.Namespace(json=False, parallel=2)
    code = run_across(args, selection, one, read_only=True)
    out = capsys.readouterr().out
    assert code == 1
    assert out.index("== shop ==\nshop says hello\n") < out.index("== blog ==\nblog says hello\n")
    assert out.splitlines()[-3:] == [
        "summary: 1 of 2 projects succeeded",
        "  blog: failed: too slow",
        "  shop: ok",
    ]
