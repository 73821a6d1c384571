"""The container lab: dev, staging and two production hosts that behave like VMs.

``up`` is a pipeline of named steps, each idempotent, each saying what it did;
a second ``up`` does nothing and says so. Containers, networks and volumes
carry the ``upkeep.lab`` label so ``down`` removes exactly what the lab made.

    >>> report = up(LabSpec.from_env(), workspace, say=print)   # doctest: +SKIP
    >>> report.actions                                          # doctest: +SKIP
    ()
"""

from __future__ import annotations

import io
import socket
import tarfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import docker
from docker.errors import APIError, NotFound
from docker.models.containers import Container
from docker.types import EndpointConfig, IPAMConfig, IPAMPool

from upkeep.errors import LabError
from upkeep.lab import demo, engine, image, keys, wordpress
from upkeep.lab.spec import LABEL, LabSpec, Member
from upkeep.workspace import Workspace

Say = Callable[[str], None]
BOOT_TIMEOUT = 90.0


@dataclass(frozen=True)
class LabHost:
    role: str
    container: str
    address: str
    state: str  # the engine's word: running, exited, missing, ...
    system: str = "unknown"  # systemctl is-system-running, when it answers
    ssh: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LabReport:
    name: str
    hosts: tuple[LabHost, ...]
    actions: tuple[str, ...] = ()
    seconds: float = 0.0
    inventory: Path | None = None

    @property
    def healthy(self) -> bool:
        return bool(self.hosts) and all(h.state == "running" and h.ssh for h in self.hosts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "lab": self.name,
            "healthy": self.healthy,
            "actions": list(self.actions),
            "seconds": round(self.seconds, 2),
            "inventory": str(self.inventory) if self.inventory else None,
            "hosts": [host.to_dict() for host in self.hosts],
        }


@dataclass
class _Up:
    """What the steps of ``up`` share while they run."""

    spec: LabSpec
    workspace: Workspace
    say: Say
    client: docker.DockerClient | None = None
    host_image: str = ""
    actions: list[str] = field(default_factory=list)

    def did(self, action: str | None) -> None:
        if action:
            self.actions.append(action)
            self.say(action)


# -- up ---------------------------------------------------------------------
def up(spec: LabSpec, workspace: Workspace, say: Say = lambda _: None) -> LabReport:
    """Bring the lab to its wanted state; a second call changes nothing."""
    started = time.monotonic()
    run = _Up(spec, workspace, say)
    for step in (
        _connect,
        _ensure_keys,
        _ensure_images,
        _ensure_network,
        _ensure_containers,
        _wait_until_booted,
        _ensure_demo_project,
        _ensure_wordpress_project,
    ):
        step(run)
    assert run.client is not None
    hosts = _inspect(run.client, spec)
    unreachable = [h.container for h in hosts if not h.ssh]
    if unreachable:
        raise LabError(f"lab hosts booted but sshd does not answer on: {', '.join(unreachable)}")
    return LabReport(
        name=spec.name,
        hosts=hosts,
        actions=tuple(run.actions),
        seconds=time.monotonic() - started,
        inventory=workspace.inventories / "demo.yml",
    )


def _connect(run: _Up) -> None:
    run.client = engine.connect(run.spec.state_dir)


def _ensure_keys(run: _Up) -> None:
    _, made = keys.load_or_create(run.spec.client_key)
    run.did("made the lab's SSH client key" if made else None)
    entries = {}
    for member in run.spec.members():
        pair, made = keys.load_or_create(run.spec.host_key(member))
        run.did(f"made the host key of {run.spec.host_name(member)}" if made else None)
        entries[run.spec.address(member)] = pair.public_line()
    text = keys.known_hosts_text(entries)
    known = run.spec.known_hosts
    if not known.exists() or known.read_text() != text:
        known.write_text(text)
        run.did(f"wrote {known}")


def _ensure_images(run: _Up) -> None:
    assert run.client is not None
    base, action = image.ensure_base(run.client, run.say)
    run.did(action)
    run.host_image, action = image.ensure_host_image(run.client, base, run.say)
    run.did(action)


def _ensure_network(run: _Up) -> None:
    assert run.client is not None
    spec = run.spec
    existing = _find_network(run.client, spec)
    if existing is not None:
        if _network_subnets(existing) == {str(spec.subnet)}:
            return
        _remove_containers(run.client, spec)
        existing.remove()
        run.did(f"removed network {spec.network_name} (its subnet changed)")
    ipam = IPAMConfig(pool_configs=[IPAMPool(subnet=str(spec.subnet), gateway=spec.gateway)])
    try:
        run.client.networks.create(
            spec.network_name, driver="bridge", ipam=ipam, labels=spec.labels
        )
    except APIError as error:
        raise LabError(
            f"cannot create network {spec.network_name} on {spec.subnet}: {error.explanation} "
            "(set UPKEEP_LAB_SUBNET to a free range)"
        ) from None
    run.did(f"created network {spec.network_name} ({spec.subnet})")


def _find_network(client: docker.DockerClient, spec: LabSpec) -> Any:
    for network in client.networks.list(names=[spec.network_name]):
        if network.name != spec.network_name:
            continue
        if (network.attrs.get("Labels") or {}).get(LABEL) != spec.name:
            raise LabError(
                f"a network named {spec.network_name} exists and is not the lab's; "
                "remove it or set UPKEEP_LAB_NAME"
            )
        return network
    return None


def _network_subnets(network: Any) -> set[str]:
    return {pool.get("Subnet") for pool in (network.attrs.get("IPAM") or {}).get("Config") or []}


def _ensure_containers(run: _Up) -> None:
    assert run.client is not None
    for member in run.spec.members():
        name = run.spec.container_name(member)
        container = _get_container(run.client, name)
        if container is not None:
            reason = _why_replace(container, run)
            if reason is None:
                continue
            container.remove(force=True, v=True)
            run.did(f"removed {name} ({reason})")
        _create_host(run, member)
        run.did(f"started {name} at {run.spec.address(member)}")


def _why_replace(container: Container, run: _Up) -> str | None:
    """Why a container found from an earlier run cannot be kept, or None."""
    if (container.labels or {}).get(LABEL) != run.spec.name:
        raise LabError(f"a container named {container.name} exists and is not the lab's; remove it")
    if container.image is None or run.host_image not in container.image.tags:
        return "its image is outdated"
    added = (container.attrs.get("HostConfig") or {}).get("CapAdd") or []
    if not any(HOST_CAPABILITY in str(cap) for cap in added):
        return "it was created without the lab's capabilities"
    if container.status != "running":
        return f"it was {container.status}"
    try:
        alive = container.exec_run(["true"]).exit_code == 0
    except APIError:
        alive = False
    # Podman's records can say "running" for a container whose processes are gone.
    return None if alive else "its processes were gone"


HOST_CAPABILITY = "SYS_ADMIN"


def _create_host(run: _Up, member: Member) -> None:
    assert run.client is not None
    spec = run.spec
    # Lets a lab host mount filesystems as a real one can (tests fill a small tmpfs to
    # make a disk full); Docker Engine's privileged mode below includes it.
    options: dict[str, Any] = {"cap_add": [HOST_CAPABILITY]}
    if not is_podman(run.client):
        # Docker Engine runs systemd only with these; Podman detects /sbin/init itself.
        options.update(
            privileged=True,
            cgroupns="host",
            volumes={"/sys/fs/cgroup": {"bind": "/sys/fs/cgroup", "mode": "rw"}},
        )
    try:
        container = run.client.containers.create(
            run.host_image,
            name=spec.container_name(member),
            hostname=spec.host_name(member),
            labels={**spec.labels, f"{LABEL}.role": member.role},
            detach=True,
            tmpfs={"/run": "", "/run/lock": "", "/tmp": ""},
            network=spec.network_name,
            networking_config={
                spec.network_name: EndpointConfig(version="1.41", ipv4_address=spec.address(member))
            },
            **options,
        )
        container.put_archive("/", ssh_files(spec.host_key(member), spec.client_key))
        container.start()
    except APIError as error:
        raise LabError(f"cannot start {spec.container_name(member)}: {error.explanation}") from None


def ssh_files(host_key_file: Path, client_key_file: Path) -> bytes:
    """A tar for a host's first boot: its own SSH key pair (so known_hosts is exact from the
    start) and upkeep's client key as the authorized one (the dev environments' too)."""
    host_key = keys.KeyPair.load(host_key_file)
    client_key = keys.KeyPair.load(client_key_file)
    files = [
        ("etc/ssh/ssh_host_ed25519_key", host_key.private_openssh, 0o600, 0),
        ("etc/ssh/ssh_host_ed25519_key.pub", host_key.public_line().encode() + b"\n", 0o644, 0),
        (
            "home/upkeep/.ssh/authorized_keys",
            client_key.public_line().encode() + b"\n",
            0o600,
            1000,
        ),
    ]
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        ssh_dir = tarfile.TarInfo("home/upkeep/.ssh")
        ssh_dir.type, ssh_dir.mode, ssh_dir.uid, ssh_dir.gid = tarfile.DIRTYPE, 0o700, 1000, 1000
        tar.addfile(ssh_dir)
        for path, data, mode, owner in files:
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.uid, info.gid = len(data), mode, owner, owner
            info.mtime = int(time.time())
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _wait_until_booted(run: _Up) -> None:
    assert run.client is not None
    deadline = time.monotonic() + BOOT_TIMEOUT
    for member in run.spec.members():
        container = run.client.containers.get(run.spec.container_name(member))
        while True:
            state = system_state(container)
            if state in ("running", "degraded") and ssh_open(run.spec.address(member)):
                break
            if time.monotonic() > deadline:
                raise LabError(
                    f"{container.name} did not finish booting in {BOOT_TIMEOUT:.0f} s "
                    f"(systemd says {state!r}); see `podman logs {container.name}`"
                )
            time.sleep(0.5)


def _ensure_demo_project(run: _Up) -> None:
    for action in demo.ensure(run.spec, run.workspace):
        run.did(action)


def _ensure_wordpress_project(run: _Up) -> None:
    assert run.client is not None
    for action in wordpress.ensure(run.spec, run.workspace, run.client, run.host_image):
        run.did(action)


# -- status and down --------------------------------------------------------
def status(spec: LabSpec) -> LabReport:
    client = engine.connect(spec.state_dir)
    return LabReport(name=spec.name, hosts=_inspect(client, spec))


def down(spec: LabSpec, *, purge: bool = False, say: Say = lambda _: None) -> LabReport:
    """Remove the lab's containers, networks and volumes; with purge, its images and state."""
    started = time.monotonic()
    client = engine.connect(spec.state_dir)
    actions = _remove_containers(client, spec)
    for network in client.networks.list(filters={"label": f"{LABEL}={spec.name}"}):
        network.remove()
        actions.append(f"removed network {network.name}")
    for volume in client.volumes.list(filters={"label": f"{LABEL}={spec.name}"}):
        volume.remove(force=True)
        actions.append(f"removed volume {volume.name}")
    if purge:
        actions += [f"removed image {tag}" for tag in image.remove_images(client)]
        actions += demo.purge(spec)
    for action in actions:
        say(action)
    return LabReport(
        name=spec.name, hosts=(), actions=tuple(actions), seconds=time.monotonic() - started
    )


def _remove_containers(client: docker.DockerClient, spec: LabSpec) -> list[str]:
    removed = []
    for container in client.containers.list(all=True, filters={"label": f"{LABEL}={spec.name}"}):
        container.remove(force=True, v=True)
        removed.append(f"removed container {container.name}")
    return removed


def _inspect(client: docker.DockerClient, spec: LabSpec) -> tuple[LabHost, ...]:
    hosts = []
    for member in spec.members():
        name, address, role = spec.container_name(member), spec.address(member), member.role
        container = _get_container(client, name)
        if container is None:
            hosts.append(LabHost(role, name, address, "missing"))
            continue
        running = container.status == "running"
        hosts.append(
            LabHost(
                role,
                name,
                address,
                container.status,
                system=system_state(container) if running else "down",
                ssh=running and ssh_open(address),
            )
        )
    return tuple(hosts)


# -- small helpers ----------------------------------------------------------
def _get_container(client: docker.DockerClient, name: str) -> Container | None:
    try:
        return client.containers.get(name)
    except NotFound:
        return None


# Shared with the developer environments (upkeep.dev), which run the same host image.
def is_podman(client: docker.DockerClient) -> bool:
    components = client.version().get("Components") or []
    return any("podman" in (c.get("Name") or "").lower() for c in components)


def system_state(container: Container) -> str:
    """systemd's own word for the container: running, degraded, starting, ..."""
    try:
        result = container.exec_run(["systemctl", "is-system-running"])
    except APIError:
        return "unreachable"
    return result.output.decode(errors="replace").strip() or "unknown"


def ssh_open(address: str, port: int = 22) -> bool:
    """Whether sshd greets us (a banner, not just an open port)."""
    try:
        with socket.create_connection((address, port), timeout=2) as conn:
            conn.settimeout(2)
            return conn.recv(4).startswith(b"SSH-")
    except OSError:
        return False
