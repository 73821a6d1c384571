"""The developer environment's container, through the docker SDK (Docker Engine or Podman).

One container per project, from the lab's host image (systemd and sshd, as
a server has them), labelled ``upkeep.dev=<project>`` and with the state
home it belongs to, its HTTP and SSH ports published on 127.0.0.1 only, the
working copy bind-mounted read-write as a release. Its SSH host key and the
authorized client key are copied in before it first boots, as the lab does.
No volume or network of its own: ``remove`` deletes the container and
whatever carries its labels, and the working copy is never touched.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docker
from docker.errors import APIError, NotFound
from docker.models.containers import Container

from upkeep.dev.state import HOME_LABEL, HTTP_PORT, LABEL, LOOPBACK, SSH_PORT, DevPaths
from upkeep.errors import LabError

# The lab's own checks of a booted host; a developer environment boots the same image.
from upkeep.lab.lab import HOST_CAPABILITY, is_podman, ssh_files, ssh_open, system_state

Say = Callable[[str], None]
BOOT_TIMEOUT = 120.0


@dataclass(frozen=True)
class ContainerSpec:
    """What ``create`` needs to make the container."""

    name: str
    project: str
    home: Path  # the dev state home it belongs to (a label)
    image: str
    working_copy: Path
    mount: str  # where the working copy appears inside
    http_port: int
    ssh_port: int

    @property
    def labels(self) -> dict[str, str]:
        return {LABEL: self.project, HOME_LABEL: str(self.home)}


def label_filters(home: Path, project: str | None = None) -> dict[str, list[str]]:
    """The engine's label filter for this state home's containers (and one project's)."""
    labels = [f"{HOME_LABEL}={home}"]
    if project is not None:
        labels.append(f"{LABEL}={project}")
    return {"label": labels}


def find(client: docker.DockerClient, name: str) -> Container | None:
    try:
        return client.containers.get(name)
    except NotFound:
        return None


def create(client: docker.DockerClient, spec: ContainerSpec, paths: DevPaths) -> Container:
    """Create and start the container; it boots in the background (see ``wait_until_booted``)."""
    options: dict[str, object] = {"cap_add": [HOST_CAPABILITY]}
    if not is_podman(client):
        # Docker Engine runs systemd only with these (as the lab's hosts); Podman needs none.
        options.update(
            privileged=True,
            cgroupns="host",
            volumes={
                "/sys/fs/cgroup": {"bind": "/sys/fs/cgroup", "mode": "rw"},
                str(spec.working_copy): {"bind": spec.mount, "mode": "rw"},
            },
        )
    else:
        options["volumes"] = {str(spec.working_copy): {"bind": spec.mount, "mode": "rw"}}
    try:
        container = client.containers.create(
            spec.image,
            name=spec.name,
            hostname=spec.name,
            labels=spec.labels,
            detach=True,
            tmpfs={"/run": "", "/run/lock": "", "/tmp": ""},
            # The loopback address only: the environment is the programmer's, not the network's.
            ports={
                f"{HTTP_PORT}/tcp": (LOOPBACK, spec.http_port),
                f"{SSH_PORT}/tcp": (LOOPBACK, spec.ssh_port),
            },
            **options,
        )
        container.put_archive("/", ssh_files(paths.host_key, paths.client_key))
        container.start()
    except APIError as error:
        raise LabError(f"cannot start {spec.name}: {error.explanation}") from None
    container.reload()
    return container


def mounted_working_copy(container: Container, mount: str) -> str | None:
    """The host directory mounted at ``mount``, as the engine records it."""
    for entry in container.attrs.get("Mounts") or []:
        if entry.get("Destination") == mount:
            return str(entry.get("Source") or "") or None
    return None


def alive(container: Container) -> bool:
    """Running, and really so: Podman's records can say running when the processes are gone."""
    container.reload()
    if container.status != "running":
        return False
    try:
        return container.exec_run(["true"]).exit_code == 0
    except APIError:
        return False


def ensure_running(container: Container, say: Say) -> str | None:
    """Start (or restart) a container found stopped; what was done, None if it ran."""
    if alive(container):
        return None
    try:
        if container.status == "running":
            container.restart(timeout=10)
            action = f"restarted {container.name} (its processes were gone)"
        else:
            container.start()
            action = f"started {container.name} (it was {container.status})"
    except APIError as error:
        raise LabError(
            f"cannot start {container.name}: {error.explanation} "
            "(`upkeep dev down` removes it; the next `dev up` makes it anew)"
        ) from None
    say(action)
    container.reload()
    return action


def wait_until_booted(container: Container, ssh_port: int) -> None:
    """Until systemd has started everything and sshd greets us on the published port."""
    deadline = time.monotonic() + BOOT_TIMEOUT
    while True:
        state = system_state(container)
        if state in ("running", "degraded") and ssh_open(LOOPBACK, ssh_port):
            return
        if time.monotonic() > deadline:
            raise LabError(
                f"{container.name} did not finish booting in {BOOT_TIMEOUT:.0f} s "
                f"(systemd says {state!r}); see `podman logs {container.name}`"
            )
        time.sleep(0.5)


def exec_text(container: Container, script: str) -> tuple[int, str]:
    """Run ``script`` as root inside the container (bash); exit code and output."""
    try:
        result = container.exec_run(["bash", "-c", script])
    except APIError as error:
        return 1, str(error.explanation)
    return int(result.exit_code or 0), result.output.decode("utf-8", "replace")


def listed(client: docker.DockerClient, home: Path, project: str | None = None) -> list[Container]:
    return list(client.containers.list(all=True, filters=label_filters(home, project)))


def remove(client: docker.DockerClient, home: Path, project: str) -> list[str]:
    """Remove the project's container, and any volume or network carrying its labels."""
    filters = label_filters(home, project)
    removed = []
    for container in client.containers.list(all=True, filters=filters):
        container.remove(force=True, v=True)
        removed.append(f"removed container {container.name}")
    for volume in client.volumes.list(filters=filters):
        volume.remove(force=True)
        removed.append(f"removed volume {volume.name}")
    for network in client.networks.list(filters=filters):
        network.remove()
        removed.append(f"removed network {network.name}")
    return removed
