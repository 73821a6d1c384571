"""What upkeep keeps about a developer environment on this machine, and the small pure
pieces around it: ports, keys, known_hosts, the container's name.

Everything lives in ``state_home()/dev/<project>/``, outside any repository
and outside the working copy: the SSH client key and the container's host key
(made by upkeep before the container first boots, so known_hosts is exact
from the first connection), known_hosts, the local database password (a
secret of this machine only, never production's) and ``state.json`` (ports,
working copy, container, when the database was seeded).

    >>> paths = DevPaths(Path("/tmp/state/dev/demo"))
    >>> paths.client_key.name, paths.state_file.name
    ('id_ed25519', 'state.json')
    >>> parse_ports({"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "40123"}], "22/tcp": None})
    {80: 40123}
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import socket
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from upkeep.atomic import write_atomic
from upkeep.errors import UsageError
from upkeep.inventory import identifiers as ids
from upkeep.lab import keys
from upkeep.workspace import state_home

LABEL = "upkeep.dev"  # value: the project
HOME_LABEL = "upkeep.dev.home"  # value: the state directory the container belongs to
LOOPBACK = "127.0.0.1"
HTTP_PORT, SSH_PORT = 80, 22  # inside the container


def dev_home() -> Path:
    """Where every developer environment of this user keeps its state."""
    return state_home() / "dev"


def checked_project(name: str) -> str:
    """``name`` if it can be a project (it becomes a path and a label), else a UsageError."""
    try:
        return ids.project_name(name)
    except ValueError as error:
        raise UsageError(str(error)) from None


@dataclass(frozen=True)
class DevPaths:
    """The files of one project's developer environment."""

    root: Path

    @classmethod
    def of(cls, project: str) -> DevPaths:
        return cls(dev_home() / checked_project(project))

    @property
    def client_key(self) -> Path:
        return self.root / "id_ed25519"

    @property
    def host_key(self) -> Path:
        return self.root / "host_ed25519"

    @property
    def known_hosts(self) -> Path:
        return self.root / "known_hosts"

    @property
    def db_password(self) -> Path:
        return self.root / "db-password"

    @property
    def state_file(self) -> Path:
        return self.root / "state.json"

    def ensure_keys(self) -> list[str]:
        """The client and host keys, made when missing; what was made."""
        made = []
        for path, what in ((self.client_key, "SSH client key"), (self.host_key, "host key")):
            if keys.load_or_create(path)[1]:
                made.append(f"made the {what} {path}")
        return made

    def database_password(self) -> str:
        """The local database's password, made once (0600): never production's."""
        if self.db_password.is_file():
            return self.db_password.read_text().strip()
        value = secrets.token_urlsafe(24)
        _write_private(self.db_password, value + "\n")
        return value

    def write_known_hosts(self, ssh_port: int) -> bool:
        """known_hosts for the container's host key at its port; whether it changed."""
        line = known_hosts_line(ssh_port, keys.KeyPair.load(self.host_key).public_line())
        if self.known_hosts.is_file() and self.known_hosts.read_text() == line:
            return False
        _write_private(self.known_hosts, line)
        return True

    def remove(self) -> bool:
        if not self.root.exists():
            return False
        shutil.rmtree(self.root)
        return True


@dataclass(frozen=True)
class DevState:
    """``state.json``: what ``dev up`` made, so the next command finds it."""

    project: str
    container: str
    working_copy: str
    http_port: int
    ssh_port: int
    container_id: str | None = None
    seeded_container: str | None = None  # the container whose database was seeded
    seeded_at: str | None = None
    seeded_url: str | None = None

    @property
    def url(self) -> str:
        return local_url(self.http_port)

    @property
    def seeded(self) -> bool:
        """Whether this very container's database holds production's sanitized copy."""
        return self.container_id is not None and self.seeded_container == self.container_id

    def with_changes(self, **changes: Any) -> DevState:
        return replace(self, **changes)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str, where: Path) -> DevState:
        broken = UsageError(
            f"{where}: not a developer environment's state (remove it, or run "
            "`upkeep dev down PROJECT`)"
        )
        try:
            data = json.loads(text)
        except ValueError:
            raise broken from None
        names = {f.name for f in fields(cls)}
        if not isinstance(data, dict) or not set(data) <= names:
            raise broken
        try:
            state = cls(**data)
        except TypeError:
            raise broken from None
        ints = (state.http_port, state.ssh_port)
        if not all(isinstance(port, int) and 0 < port < 65536 for port in ints):
            raise broken
        if not all(
            isinstance(v, str) for v in (state.project, state.container, state.working_copy)
        ):
            raise broken
        return state


def load(paths: DevPaths) -> DevState | None:
    if not paths.state_file.is_file():
        return None
    return DevState.from_json(paths.state_file.read_text(), paths.state_file)


def save(paths: DevPaths, state: DevState) -> None:
    _write_private(paths.state_file, state.to_json())


def projects_here() -> list[str]:
    """Projects with a developer environment's state on this machine, sorted."""
    home = dev_home()
    if not home.is_dir():
        return []
    return sorted(p.name for p in home.iterdir() if (p / "state.json").is_file())


def local_url(http_port: int) -> str:
    """The address the programmer's browser uses.

    >>> local_url(40123)
    'http://localhost:40123'
    """
    return f"http://localhost:{http_port}"


def container_name(project: str, home: Path | None = None) -> str:
    """``upkeep-dev-<project>``; a state home moved with ``UPKEEP_STATE_DIR`` (a test's,
    a second checkout's) gets a suffix of its own, so two never reach for one container.

    >>> container_name("demo", Path("/x/dev")) == container_name("demo", Path("/x/dev"))
    True
    >>> container_name("demo", Path("/x/dev")) == container_name("demo", Path("/y/dev"))
    False
    """
    if home is None and not os.environ.get("UPKEEP_STATE_DIR"):
        return f"upkeep-dev-{project}"
    home = home or dev_home()
    return f"upkeep-dev-{project}-{hashlib.sha256(str(home).encode()).hexdigest()[:8]}"


def parse_ports(ports: Mapping[str, Any] | None) -> dict[int, int]:
    """Container port → host port on the loopback address, from the engine's
    ``NetworkSettings.Ports`` (Docker and Podman say it the same way).

    Ports published elsewhere than 127.0.0.1 are left out: a developer
    environment must not be reachable from the network.

    >>> parse_ports({"22/tcp": [{"HostIp": "0.0.0.0", "HostPort": "2222"},
    ...                         {"HostIp": "127.0.0.1", "HostPort": "40222"}]})
    {22: 40222}
    """
    found: dict[int, int] = {}
    for key, bindings in (ports or {}).items():
        number, _, protocol = str(key).partition("/")
        if protocol not in ("", "tcp") or not number.isdigit():
            continue
        for binding in bindings or ():
            if not isinstance(binding, Mapping) or binding.get("HostIp") != LOOPBACK:
                continue
            host_port = str(binding.get("HostPort") or "")
            if host_port.isdigit() and 0 < int(host_port) < 65536:
                found[int(number)] = int(host_port)
                break
    return found


def free_port() -> int:
    """A port nothing listens on now, on the loopback address (the kernel's choice).

    upkeep publishes the container's ports on ports chosen this way rather than
    letting the engine pick at each start: the engine's choice would change
    when the container restarts, and the database's URLs hold the port.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def known_hosts_line(ssh_port: int, public_line: str) -> str:
    """One known_hosts line for the container, as ssh looks a non-22 port up.

    >>> known_hosts_line(40222, "ssh-ed25519 AAAA upkeep-lab")
    '[127.0.0.1]:40222 ssh-ed25519 AAAA\\n'
    """
    kind, key = public_line.split()[:2]
    return f"[{LOOPBACK}]:{ssh_port} {kind} {key}\n"


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` readable by its owner only, atomically (never half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    write_atomic(path, text, mode=0o600)
