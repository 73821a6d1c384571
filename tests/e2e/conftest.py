"""The end-to-end tests' lab: its own name, subnet, state and operator repository.

It never touches the operator's own lab (``upkeep-lab``): the test lab is
``upkeep-test`` on 10.89.78.0/24 with its state in a temporary directory. The
images are shared with the operator's lab, so only the first run builds them.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import git
import pytest

from tests.postgresql import postgresql_server, postgresql_url  # noqa: F401  (a real PostgreSQL)
from upkeep import lab
from upkeep.inventory import Project, load_project
from upkeep.inventory.maintenance import in_maintenance
from upkeep.inventory.pins import Pins, load_pins
from upkeep.workspace import Workspace

ENVIRONMENTS = ["dev", "staging", "production"]
# A second checkout can run its own end-to-end tests beside these by naming another lab.
TEST_LAB_ENV = {
    "UPKEEP_LAB_NAME": os.environ.get("UPKEEP_TEST_LAB_NAME", "upkeep-test"),
    "UPKEEP_LAB_SUBNET": os.environ.get("UPKEEP_TEST_LAB_SUBNET", "10.89.78.0/24"),
}


def model(workspace: Workspace, project_name: str = "demo") -> tuple[Project, Pins]:
    """The project and its pins as they are now, as the CLI loads them for a workflow."""
    project = load_project(workspace, project_name)
    return project, load_pins(workspace, project.name)


@dataclass(frozen=True)
class RunningLab:
    spec: lab.LabSpec
    workspace: Workspace
    first_up: lab.LabReport


@contextmanager
def outside_maintenance(lab: RunningLab) -> Iterator[RunningLab]:
    """The lab outside the demo's maintenance windows (else results are muted and no
    incident opens): if a run falls in one, the windows are left out meanwhile."""
    project = load_project(lab.workspace, "demo")
    path = lab.workspace.inventories / "demo.yml"
    text = path.read_text()
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=30)
    muted = any(
        in_maintenance(project.maintenance, env, moment)
        for env in ("dev", "staging", "production")
        for moment in (dt.datetime.now(dt.UTC), soon)
    )
    if muted:
        path.write_text(text.split("\nmaintenance:", 1)[0] + "\n")
    try:
        yield lab
    finally:
        path.write_text(text)


# The lab's own tests replace hosts (a container whose processes are gone), so they run
# before anything provisions. WordPress shares the demo's servers: it is provisioned and
# checked next, before other tests move those servers' PHP build (update, provision's
# newest-then-oldest). The lab comes down after everything else.
FIRST = ("tests/e2e/test_lab.py", "tests/e2e/test_wordpress.py")
LAST = "tests/e2e/test_zz_lab_down.py"


def _place(item: pytest.Item) -> int:
    path = str(item.fspath)
    first = [i for i, name in enumerate(FIRST) if name in path]
    return first[0] if first else len(FIRST) + 1 if LAST in path else len(FIRST)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=_place)
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def lab_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Point upkeep at the test lab for the whole session (and restore after)."""
    state = tmp_path_factory.mktemp("upkeep-state")
    env = {**TEST_LAB_ENV, "UPKEEP_STATE_DIR": str(state)}
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    yield env
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def operator_repo(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """An operator repository of its own: inventories/ under git, like a fork."""
    root = tmp_path_factory.mktemp("operator")
    (root / "inventories").mkdir()
    repo = git.Repo.init(root, initial_branch="main")
    (root / "README.md").write_text("operator repository for the end-to-end tests\n")
    repo.index.add(["README.md"])
    repo.index.commit("start")
    return Workspace(root)


@pytest.fixture(scope="session")
def running_lab(lab_env: dict[str, str], operator_repo: Workspace) -> Iterator[RunningLab]:
    spec = lab.LabSpec.from_env()
    report = lab.up(spec, operator_repo)
    yield RunningLab(spec, operator_repo, report)
    lab.down(spec)  # whatever the tests did, leave nothing of the test lab behind


@pytest.fixture(scope="session")
def provisioned(running_lab: RunningLab) -> RunningLab:
    """The test lab with all three environments provisioned from nothing (pinned: oldest PHP)."""
    from upkeep.provision.workflow import provision

    workspace = running_lab.workspace
    result = provision(workspace, *model(workspace), ENVIRONMENTS, php_build="oldest")
    assert result.ok, result.run.failed
    assert result.run.changed > 0 and result.pins_commit
    return running_lab


@pytest.fixture(scope="session")
def wordpress(running_lab: RunningLab) -> RunningLab:
    """The lab's WordPress project provisioned in every environment, at the PHP build the
    demo pins on the servers they share (the oldest when the demo has none yet)."""
    from upkeep.provision.workflow import provision

    workspace = running_lab.workspace
    build = load_pins(workspace, "demo").get("staging").php_build or "oldest"
    result = provision(workspace, *model(workspace, "wordpress"), ENVIRONMENTS, php_build=build)
    assert result.ok, result.run.failed
    return running_lab
