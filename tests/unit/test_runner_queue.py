"""A real run asks each operation's facts once, when it runs; a dry run foresees before.

pyinfra's ``@local`` connector stands in for a server: the same fact and operation
code, run on this machine. The fact below logs each time it is read.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from pyinfra import host
from pyinfra.api import FactBase, operation

from tests.unit.test_runner_facts import LocalHost
from upkeep.runner import OpStatus, Runner, Target


class LoggedRead(FactBase[list[str]]):
    """The lines of ``path``; each read adds a line to ``log``."""

    def command(self, path: str, log: str) -> str:
        return f"echo read >> {shlex.quote(log)}; cat {shlex.quote(path)} 2>/dev/null || true"

    @staticmethod
    def default() -> list[str]:
        return []

    def process(self, output: list[str]) -> list[str]:
        return output


@operation()
def line_present(path: str, log: str, line: str):
    if line in host.get_fact(LoggedRead, path=path, log=log):
        host.noop(f"{path} has {line}")
        return
    yield f"echo {shlex.quote(line)} >> {shlex.quote(path)}"


def reads(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_a_real_run_reads_each_operations_facts_once(tmp_path: Path) -> None:
    path, log = tmp_path / "file", tmp_path / "log"
    with Runner([Target("dev", LocalHost())]) as runner:
        result = runner.run_op(line_present, path=str(path), log=str(log), line="x")
    assert [op.status for op in result.ops] == [OpStatus.CHANGED]
    assert path.read_text() == "x\n"
    assert reads(log) == 1  # queueing it read nothing


def test_a_dry_run_still_foresees_the_change(tmp_path: Path) -> None:
    path, log = tmp_path / "file", tmp_path / "log"
    with Runner([Target("dev", LocalHost())]) as runner:
        result = runner.run_op(line_present, dry_run=True, path=str(path), log=str(log), line="x")
    assert [(op.status, op.will_change) for op in result.ops] == [(OpStatus.NOT_RUN, True)]
    assert not path.exists()
    path.write_text("x\n")
    with Runner([Target("dev", LocalHost())]) as runner:
        again = runner.run_op(line_present, dry_run=True, path=str(path), log=str(log), line="x")
    assert [op.will_change for op in again.ops] == [False]


def test_after_a_failure_the_rest_is_not_run_and_not_asked(tmp_path: Path) -> None:
    path, log = tmp_path / "file", tmp_path / "log"

    def failing_then_more() -> None:
        from pyinfra.operations import server

        server.shell(name="fails", commands=["false"])
        line_present(name="after it", path=str(path), log=str(log), line="x")

    with Runner([Target("dev", LocalHost())]) as runner:
        result = runner.run_deploy(failing_then_more)
    assert [(op.operation, op.status, op.will_change) for op in result.ops] == [
        ("fails", OpStatus.FAILED, None),
        ("after it", OpStatus.NOT_RUN, None),
    ]
    assert reads(log) == 0
