"""Reach a Docker-compatible API: Docker Engine, or Podman's service.

Order: ``DOCKER_HOST`` as given; a socket that already answers (Docker's, then
Podman's); else, when the ``podman`` command exists, start Podman's API
service ourselves, since nothing keeps it running between sessions.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import docker
from docker.errors import DockerException

from upkeep.errors import LabError

SETUP_HINT = (
    "set DOCKER_HOST, start Docker Engine, or install Podman (scripts/bootstrap does it on Debian)"
)


def _ping(base_url: str) -> docker.DockerClient | None:
    try:
        client = docker.DockerClient(base_url=base_url, timeout=300)
        client.ping()
    except (DockerException, OSError):
        return None
    return client


def _podman_socket() -> Path:
    if os.geteuid() == 0:
        return Path("/run/podman/podman.sock")
    runtime = os.environ.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}"
    return Path(runtime) / "podman" / "podman.sock"


def _start_podman_service(socket: Path, log: Path) -> None:
    socket.parent.mkdir(parents=True, exist_ok=True)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        subprocess.Popen(
            ["podman", "system", "service", "--time=0", f"unix://{socket}"],
            stdout=out,
            stderr=out,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # outlives this command, like a daemon would
        )


def connect(log_dir: Path) -> docker.DockerClient:
    """A client for the first container engine that answers, or a LabError."""
    if os.environ.get("DOCKER_HOST"):
        try:
            client = docker.from_env(timeout=300)
            client.ping()
        except DockerException as error:
            raise LabError(
                f"DOCKER_HOST={os.environ['DOCKER_HOST']} does not answer: {error}"
            ) from None
        return client
    podman_socket = _podman_socket()
    for socket in (Path("/var/run/docker.sock"), podman_socket):
        if socket.exists() and (client := _ping(f"unix://{socket}")):
            return client
    if shutil.which("podman") is None:
        raise LabError(f"no container engine found: {SETUP_HINT}")
    _start_podman_service(podman_socket, log_dir / "podman-service.log")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if podman_socket.exists() and (client := _ping(f"unix://{podman_socket}")):
            return client
        time.sleep(0.2)
    raise LabError(
        f"Podman's API service did not answer on {podman_socket} "
        f"(see {log_dir / 'podman-service.log'})"
    )
