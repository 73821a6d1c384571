"""What an unattended run of a project needs besides the repository: secrets and SSH files.

Secrets are named, never read: the files reference ``UPKEEP_SECRET_<NAME>``
variables that the machine or the CI provides. SSH keys and known_hosts go
where the inventory says, as the user who runs the job sees that path.

    >>> from upkeep.credentials import SecretRef
    >>> secret_vars({"a": SecretRef(secret="shop_db_password"), "b": [SecretRef(secret="x")]})
    ('UPKEEP_SECRET_SHOP_DB_PASSWORD', 'UPKEEP_SECRET_X')
    >>> ci = ci_path(Path("/home/me/.ssh/id_shop"), root=Path("/srv/ops"), home=Path("/home/me"))
    >>> ci
    '"$HOME"/.ssh/id_shop'
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from upkeep.credentials import SecretRef
from upkeep.inventory import Project

SshKind = Literal["key", "known_hosts"]


@dataclass(frozen=True)
class SshFile:
    """One SSH file a CI job installs from a CI variable before upkeep runs."""

    variable: str  # the CI variable holding it (a File variable on GitLab)
    kind: SshKind
    ci_path: str  # shell words: where the inventory expects it on the CI runner
    user_path: str  # the same place for the scheduled user (~USER/... or absolute)
    hosts: tuple[str, ...]  # the hosts that use it
    outside_home: bool  # an absolute path outside $HOME: a GitHub runner needs sudo

    @property
    def mode(self) -> str:
        return "600" if self.kind == "key" else "644"


@dataclass(frozen=True)
class Needs:
    secret_vars: tuple[str, ...]
    ssh_files: tuple[SshFile, ...]
    hosts_without_key: tuple[str, ...]


def needs_of(project: Project, root: Path, home: Path, user: str) -> Needs:
    """Secrets and SSH files of ``project``; ``root`` is the repository, ``home`` the operator's."""
    return fleet_needs([project], root, home, user)


def fleet_needs(projects: Sequence[Project], root: Path, home: Path, user: str) -> Needs:
    """Secrets and SSH files of all ``projects`` together: each file and variable once."""
    keys: dict[Path, list[str]] = {}
    known: dict[Path, list[str]] = {}
    without_key: list[str] = []
    for project in projects:
        for _, host in project.hosts():
            if host.key is None:
                _add(without_key, host.name)
            else:
                _add(keys.setdefault(host.key, []), host.name)
            if host.known_hosts is not None:
                _add(known.setdefault(host.known_hosts, []), host.name)
    kinds: tuple[tuple[SshKind, dict[Path, list[str]]], ...] = (
        ("key", keys),
        ("known_hosts", known),
    )
    files = [
        _ssh_file(path, hosts, kind, _variable(kind, index), root, home, user)
        for kind, found in kinds
        for index, (path, hosts) in enumerate(found.items())
    ]
    return Needs(secret_vars(list(projects)), tuple(files), tuple(without_key))


def _add(names: list[str], name: str) -> None:
    # A server named by several projects is one host to the CI job.
    if name not in names:
        names.append(name)


def secret_vars(value: Any) -> tuple[str, ...]:
    """The ``UPKEEP_SECRET_*`` names of every secret reference in ``value``, sorted, once each."""
    found: set[str] = set()
    _collect(value, found)
    return tuple(sorted(found))


def ci_path(path: Path, root: Path, home: Path) -> str:
    """``path`` as shell words on a CI runner, whose checkout and $HOME differ from ours.

    The loader resolved ``~`` and relative paths on this machine; a run elsewhere
    resolves them again, so a path under the repository stays relative to it and
    one under the operator's home moves to the runner's $HOME.
    """
    if path.is_relative_to(root):
        return shlex.quote(str(path.relative_to(root)))
    if path.is_relative_to(home):
        return '"$HOME"/' + shlex.quote(str(path.relative_to(home)))
    return shlex.quote(str(path))


def _ssh_file(
    path: Path,
    hosts: list[str],
    kind: SshKind,
    variable: str,
    root: Path,
    home: Path,
    user: str,
) -> SshFile:
    if path.is_relative_to(home) and not path.is_relative_to(root):
        user_path = f"~{user}/{path.relative_to(home)}"
    else:
        user_path = str(path)
    outside = not (path.is_relative_to(root) or path.is_relative_to(home))
    return SshFile(variable, kind, ci_path(path, root, home), user_path, tuple(hosts), outside)


def _variable(kind: str, index: int) -> str:
    base = "UPKEEP_SSH_KEY" if kind == "key" else "UPKEEP_SSH_KNOWN_HOSTS"
    return base if index == 0 else f"{base}_{index + 1}"


def _collect(value: Any, found: set[str]) -> None:
    # Walk the model rather than list fields, so a later section's secrets count too.
    if isinstance(value, SecretRef):
        found.add(value.env_var)
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            _collect(getattr(value, name), found)
    elif isinstance(value, Mapping):
        for item in value.values():
            _collect(item, found)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _collect(item, found)
