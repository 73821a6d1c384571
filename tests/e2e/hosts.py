"""Reaching the test lab's hosts from tests: a root shell, and HTTPS by domain."""

from __future__ import annotations

from pyinfra.operations import server

from upkeep.inventory import load_project
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
