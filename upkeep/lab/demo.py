"""The lab's demo project: its git repository, its secrets and its inventory.

The demo site (examples/demo-site) becomes a git repository of its own in the
lab's state, as a client's site would be; its database passwords go to the
lab's secrets file (never to git); ``inventories/servers.yml`` declares the
lab's hosts and ``inventories/demo.yml`` names them, so every later command
runs against the lab unchanged.
"""

from __future__ import annotations

import filecmp
import os
import secrets
import shutil
from pathlib import Path

import git
import yaml

from upkeep.errors import LabError
from upkeep.inventory.servers import servers_path
from upkeep.lab.spec import ROLES, LabSpec
from upkeep.templating import REPOSITORY_DIR, render
from upkeep.workspace import Workspace

DEMO_SOURCE = REPOSITORY_DIR / "examples" / "demo-site"
GENERATED_MARKER = "# upkeep-lab: generated"
SECRET_NAMES = ("demo_db_password", "demo_db_dump_password")
AUTHOR = git.Actor("upkeep lab", "lab@upkeep.invalid")
DEMO_DATE = "1767225600 +0000"  # 2026-01-01, in git's own date format


def ensure(spec: LabSpec, workspace: Workspace) -> list[str]:
    """Make the demo project's pieces exist; return what was done."""
    return [
        action
        for action in (
            _ensure_secrets(spec.secrets_file),
            _ensure_repository(spec.demo_repository),
            _ensure_generated(servers_text(spec), servers_path(workspace.inventories)),
            _ensure_generated(inventory_text(spec), workspace.inventories / "demo.yml"),
        )
        if action
    ]


def purge(spec: LabSpec) -> list[str]:
    if spec.state_dir.exists():
        shutil.rmtree(spec.state_dir)
        return [f"removed {spec.state_dir}"]
    return []


def _ensure_secrets(path: Path) -> str | None:
    current = yaml.safe_load(path.read_text()) if path.exists() else None
    current = current if isinstance(current, dict) else {}
    missing = [name for name in SECRET_NAMES if not current.get(name)]
    if not missing:
        return None
    for name in missing:
        current[name] = secrets.token_urlsafe(24)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("# The lab's generated secrets (upkeep lab up). Not in git.\n")
        yaml.safe_dump(current, handle, sort_keys=True)
    os.chmod(path, 0o600)
    return f"generated lab secrets {', '.join(missing)} in {path}"


def _ensure_repository(target: Path) -> str | None:
    """The demo site as its own git repository, following examples/demo-site."""
    if not DEMO_SOURCE.is_dir():
        raise LabError(f"{DEMO_SOURCE} is missing from this checkout")
    created = not (target / ".git").exists()
    repo = git.Repo.init(target, initial_branch="main") if created else git.Repo(target)
    if not created and _same_tree(DEMO_SOURCE, target):
        return None
    _mirror(DEMO_SOURCE, target)
    repo.git.add("--all")
    if not created and not repo.is_dirty(index=True, working_tree=False):
        return None
    message = "Demo site" if created else "Demo site: follow examples/demo-site"
    # A fixed date makes the same demo tree the same commit on every machine, so
    # pins written against one lab still resolve after the lab is made anew.
    repo.index.commit(
        message, author=AUTHOR, committer=AUTHOR, author_date=DEMO_DATE, commit_date=DEMO_DATE
    )
    verb = "created" if created else "updated"
    return f"{verb} the demo site repository {target} at {repo.head.commit.hexsha[:10]}"


def _same_tree(source: Path, target: Path) -> bool:
    def differs(cmp: filecmp.dircmp[str]) -> bool:
        right_only = [n for n in cmp.right_only if n != ".git"]
        if cmp.left_only or right_only or cmp.diff_files or cmp.funny_files:
            return True
        return any(differs(sub) for sub in cmp.subdirs.values())

    comparison = filecmp.dircmp(source, target, ignore=[])
    return not differs(comparison)


def _mirror(source: Path, target: Path) -> None:
    """Make ``target`` hold exactly ``source``'s files (its .git aside)."""
    for entry in target.iterdir():
        if entry.name == ".git":
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    shutil.copytree(source, target, dirs_exist_ok=True, symlinks=True)


def inventory_text(spec: LabSpec) -> str:
    """The demo inventory for this lab, exactly as ``lab up`` writes it."""
    return render(
        "lab/demo-inventory.yml.j2",
        repository=_home_relative(spec.demo_repository),
        hosts={
            role: [spec.host_name(m) for m in spec.demo_members() if m.role == role]
            for role in ROLES
        },
    )


def servers_text(spec: LabSpec) -> str:
    """The lab's servers.yml, exactly as ``lab up`` writes it: one server per host."""
    return render(
        "lab/servers.yml.j2",
        key=_home_relative(spec.client_key),
        known_hosts=_home_relative(spec.known_hosts),
        servers=[(spec.host_name(m), spec.address(m), m.role) for m in spec.members()],
    )


def _ensure_generated(text: str, path: Path) -> str | None:
    if path.exists():
        current = path.read_text()
        if current == text:
            return None
        if GENERATED_MARKER not in current.splitlines():
            return None  # a person took this file over (removed the marker): never rewrite it
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return f"wrote {path}"


def _home_relative(path: Path) -> str:
    home = Path.home()
    try:
        return "~/" + str(path.relative_to(home))
    except ValueError:
        return str(path)
