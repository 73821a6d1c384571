"""The lab end to end: real containers booting systemd, reached over SSH."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from pyinfra.operations import files

from upkeep import lab
from upkeep.cli.main import main
from upkeep.errors import ConnectionFailed
from upkeep.inventory import load_project
from upkeep.lab import engine
from upkeep.lab.keys import KeyPair, known_hosts_text
from upkeep.lab.spec import Member
from upkeep.runner import OpStatus, Runner, SshHost, Target

from .conftest import RunningLab


def _targets(running: RunningLab) -> list[Target]:
    project = load_project(running.workspace, "demo")
    return [
        Target(str(env.name), host) for env in project.environments.values() for host in env.hosts
    ]


@dataclass(frozen=True)
class Endpoint:
    """The same host, seen through another known_hosts file."""

    name: str
    address: str
    port: int
    user: str
    key: Path | None
    known_hosts: Path | None
    sudo: bool


def _with_known_hosts(host: SshHost, known_hosts: Path) -> Endpoint:
    return Endpoint(host.name, host.address, host.port, host.user, host.key, known_hosts, host.sudo)


def test_lab_up_brings_four_booted_hosts_reachable_over_ssh(running_lab: RunningLab) -> None:
    report = running_lab.first_up
    assert [h.role for h in report.hosts] == ["dev", "staging", "production", "production"]
    assert report.hosts[-1].container == running_lab.spec.container_name(Member("production", 1))
    assert all(h.state == "running" and h.system in ("running", "degraded") for h in report.hosts)
    assert report.healthy
    assert (running_lab.workspace.inventories / "demo.yml").is_file()


def test_second_lab_up_changes_nothing(running_lab: RunningLab) -> None:
    before = {h.container: h.address for h in lab.status(running_lab.spec).hosts}
    again = lab.up(running_lab.spec, running_lab.workspace)
    assert again.actions == ()
    assert {h.container: h.address for h in again.hosts} == before


def test_pyinfra_operation_runs_on_all_hosts_then_changes_nothing(running_lab: RunningLab) -> None:
    targets = _targets(running_lab)
    marker = "/etc/upkeep-e2e-marker"
    with Runner(targets) as runner:
        first = runner.run_op(files.line, path=marker, line="reached by upkeep", present=True)
    with Runner(targets) as runner:
        second = runner.run_op(files.line, path=marker, line="reached by upkeep", present=True)
    assert first.ok and second.ok
    assert sorted(op.host for op in first.ops) == ["lab-dev", "lab-production", "lab-staging"]
    assert {op.status for op in first.ops} == {OpStatus.CHANGED}
    assert {op.status for op in second.ops} == {OpStatus.NO_CHANGE}
    assert second.changed == 0


def test_a_wrong_host_key_is_refused(running_lab: RunningLab, tmp_path: Path) -> None:
    target = _targets(running_lab)[1]
    impostor = tmp_path / "known_hosts"
    impostor.write_text(known_hosts_text({target.host.address: KeyPair.generate().public_line()}))
    host = _with_known_hosts(target.host, impostor)
    with pytest.raises(ConnectionFailed) as raised, Runner([Target(target.environment, host)]):
        pass
    assert target.name in str(raised.value)


def test_a_host_missing_from_known_hosts_is_refused(
    running_lab: RunningLab, tmp_path: Path
) -> None:
    target = _targets(running_lab)[0]
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    host = _with_known_hosts(target.host, empty)
    with Runner([Target(target.environment, host)], require_all=False) as runner:
        assert [u.host for u in runner.unreachable] == [target.name]


def test_ping_reaches_every_host_with_sudo(
    running_lab: RunningLab, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--root", str(running_lab.workspace.root), "ping", "demo", "--json"])
    result = json.loads(capsys.readouterr().out)["data"]
    assert code == 0
    assert [(h["environment"], h["ok"], h["user"]) for h in result["hosts"]] == [
        ("dev", True, "root"),
        ("staging", True, "root"),
        ("production", True, "root"),
    ]


def test_status_exit_code_follows_health(
    running_lab: RunningLab, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lab", "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["data"]["healthy"] is True


def test_lab_up_replaces_a_host_whose_processes_are_gone(running_lab: RunningLab) -> None:
    client = engine.connect(running_lab.spec.state_dir)
    client.containers.get(running_lab.spec.container_name(Member("dev"))).stop(timeout=5)
    assert main(["lab", "status"]) == 1
    report = lab.up(running_lab.spec, running_lab.workspace)
    dev = running_lab.spec.container_name(Member("dev"))
    assert any(dev in action and "exited" in action for action in report.actions)
    assert report.healthy
