"""Reaching the test lab's hosts from tests: a root shell (over SSH, or the container's
console when SSH is what a test breaks), and HTTPS by domain."""

from __future__ import annotations

from pyinfra.operations import server

from upkeep.inventory import load_project
from upkeep.lab.engine import connect
from upkeep.lab.spec import Member
from upkeep.runner import Runner, Target
from upkeep.workspace import state_home

from .conftest import RunningLab
from .web import Response, fetch


def shell(lab: RunningLab, environment: str, command: str) -> None:
    project = load_project(lab.workspace, "demo")
    targets = [Target(environment, host) for host in project.environment(environment).hosts]
    with Runner(targets) as runner:
        assert runner.run_op(server.shell, commands=[command]).ok


def get(lab: RunningLab, environment: str, path: str) -> Response:
    env = load_project(lab.workspace, "demo").environment(environment)
    return fetch(env.hosts[0].address, env.domain, path, state_home() / "lab" / "ca.crt")


def status(lab: RunningLab, environment: str, path: str) -> int:
    """The HTTP status, or 0 when nothing answers on 443 at all."""
    try:
        return get(lab, environment, path).status
    except OSError:
        return 0


def console(lab: RunningLab, environment: str, command: str) -> str:
    """Run ``command`` as root inside the host's container, not over SSH: the way in
    when SSH is what a test breaks. Its output; an AssertionError if it fails."""
    client = connect(lab.spec.state_dir)
    container = client.containers.get(lab.spec.container_name(Member(environment)))
    code, out = container.exec_run(["bash", "-c", command])
    text = out.decode("utf-8", "replace")
    assert code == 0, f"{command!r} on {environment}: exit {code}: {text[-500:]}"
    return text
