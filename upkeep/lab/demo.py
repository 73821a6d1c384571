"""The lab's demo project: its git repository, its secrets and its inventory.

The demo site (examples/demo-site) becomes a git repository of its own in the
lab's state, as a client's site would be; its database passwords go to the
lab's secrets file (never to git); ``inventories/servers.yml`` declares the
lab's hosts, ``inventories/plans.yml`` the care plans, and ``inventories/demo.yml``
names both, so every later command
runs against the lab unchanged.
"""

from __future__ import annotations

import shutil

from upkeep.errors import LabError
from upkeep.inventory.care import plans_path
from upkeep.inventory.servers import servers_path
from upkeep.lab.generated import ensure_generated, ensure_repository, ensure_secrets, home_relative
from upkeep.lab.spec import ROLES, LabSpec
from upkeep.templating import REPOSITORY_DIR, render
from upkeep.workspace import Workspace

DEMO_SOURCE = REPOSITORY_DIR / "examples" / "demo-site"
SECRET_NAMES = ("demo_db_password", "demo_db_dump_password")


def ensure(spec: LabSpec, workspace: Workspace) -> list[str]:
    """Make the demo project's pieces exist; return what was done."""
    if not DEMO_SOURCE.is_dir():
        raise LabError(f"{DEMO_SOURCE} is missing from this checkout")
    return [
        action
        for action in (
            ensure_secrets(spec.secrets_file, SECRET_NAMES),
            ensure_repository(
                DEMO_SOURCE, spec.demo_repository, "Demo site", origin="examples/demo-site"
            ),
            ensure_generated(servers_text(spec), servers_path(workspace.inventories)),
            ensure_generated(plans_text(), plans_path(workspace.inventories)),
            ensure_generated(inventory_text(spec), workspace.inventories / "demo.yml"),
        )
        if action
    ]


def purge(spec: LabSpec) -> list[str]:
    if spec.state_dir.exists():
        shutil.rmtree(spec.state_dir)
        return [f"removed {spec.state_dir}"]
    return []


def inventory_text(spec: LabSpec) -> str:
    """The demo inventory for this lab, exactly as ``lab up`` writes it."""
    return render(
        "lab/demo-inventory.yml.j2",
        repository=home_relative(spec.demo_repository),
        hosts={
            role: [spec.host_name(m) for m in spec.demo_members() if m.role == role]
            for role in ROLES
        },
    )


def plans_text() -> str:
    """The lab's plans.yml, exactly as ``lab up`` writes it: basic, standard and full."""
    return render("lab/plans.yml.j2")


def servers_text(spec: LabSpec) -> str:
    """The lab's servers.yml, exactly as ``lab up`` writes it: one server per host."""
    return render(
        "lab/servers.yml.j2",
        key=home_relative(spec.client_key),
        known_hosts=home_relative(spec.known_hosts),
        servers=[(spec.host_name(m), spec.address(m), m.role) for m in spec.members()],
    )
