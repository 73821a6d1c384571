"""The lab's images: a Debian 12 base, and the host image built on it.

The base is a local or pullable ``debian:bookworm`` when there is one (a
machine with a registry), else made with debootstrap and imported (ours have
none). The host image is tagged by a hash of its recipe and base, so a second
``lab up`` finds it and builds nothing.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import docker
from docker.errors import APIError, BuildError, ImageNotFound
from docker.models.images import Image

from upkeep.errors import LabError

BASE_NAMES = (
    "debian:bookworm",
    "docker.io/library/debian:bookworm",
    "localhost/debian:bookworm",
    "localhost/upkeep-debian:bookworm",
)
DEBOOTSTRAP_TAG = ("localhost/upkeep-debian", "bookworm")
HOST_REPOSITORY = "localhost/upkeep-lab-host"
DEBIAN_MIRROR = os.environ.get("UPKEEP_DEBIAN_MIRROR", "http://deb.debian.org/debian")

Say = Callable[[str], None]


def _local(client: docker.DockerClient, name: str) -> Image | None:
    try:
        return client.images.get(name)
    except (ImageNotFound, APIError):
        return None


def ensure_base(client: docker.DockerClient, say: Say) -> tuple[Image, str | None]:
    """The Debian 12 base image, and what was done to get it (None: it was there)."""
    for name in BASE_NAMES:
        if image := _local(client, name):
            return image, None
    say("pulling debian:bookworm")
    try:
        return client.images.pull(
            "docker.io/library/debian", tag="bookworm"
        ), "pulled debian:bookworm"
    except APIError:
        pass  # no registry here: build it ourselves
    say("no debian:bookworm image to pull; building one with debootstrap (about 30 s)")
    return _debootstrap(client), "built a debian:bookworm base with debootstrap"


def _debootstrap(client: docker.DockerClient) -> Image:
    if shutil.which("debootstrap") is None:
        raise LabError("no debian:bookworm image and no debootstrap: run scripts/bootstrap first")
    if os.geteuid() != 0:
        raise LabError(
            "debootstrap needs root: run `sudo upkeep lab up` once, or provide debian:bookworm"
        )
    with tempfile.TemporaryDirectory(prefix="upkeep-debootstrap-") as tmp:
        root = Path(tmp) / "rootfs"
        done = subprocess.run(
            ["debootstrap", "--variant=minbase", "bookworm", str(root), DEBIAN_MIRROR],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise LabError(f"debootstrap failed: {' / '.join(tail)}")
        tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
        try:
            client.api.import_image(
                src=tar.stdout, repository=DEBOOTSTRAP_TAG[0], tag=DEBOOTSTRAP_TAG[1]
            )
        finally:
            tar.wait()
    image = _imported(client)
    image.tag(*DEBOOTSTRAP_TAG)  # Podman's compat import ignores the tag it is given
    return client.images.get(":".join(DEBOOTSTRAP_TAG))


def _imported(client: docker.DockerClient) -> Image:
    for name in (":".join(DEBOOTSTRAP_TAG), f"{DEBOOTSTRAP_TAG[0]}:latest"):
        if image := _local(client, name):
            return image
    raise LabError("the debootstrapped image was imported but cannot be found")


def recipe(base: Image) -> str:
    text = (Path(__file__).parent / "Containerfile").read_text()
    base_ref = base.tags[0] if base.tags else base.id
    return text.replace("{base}", base_ref)


def host_tag(base: Image) -> str:
    digest = hashlib.sha256((recipe(base) + (base.id or "")).encode()).hexdigest()[:12]
    return f"{HOST_REPOSITORY}:{digest}"


def ensure_host_image(client: docker.DockerClient, base: Image, say: Say) -> tuple[str, str | None]:
    """The host image's tag, and what was done to get it (None: it was cached)."""
    tag = host_tag(base)
    if _local(client, tag):
        return tag, None
    say(f"building the lab host image {tag} (about a minute)")
    try:
        client.images.build(
            fileobj=io.BytesIO(recipe(base).encode()), tag=tag, rm=True, forcerm=True
        )
    except (BuildError, APIError) as error:
        raise LabError(f"building the lab host image failed: {error}") from None
    return tag, f"built image {tag}"


def remove_images(client: docker.DockerClient) -> list[str]:
    """Remove the lab's own images (host images, and the base we debootstrapped)."""
    removed = []
    for image in client.images.list():
        for tag in image.tags:
            if tag.startswith(HOST_REPOSITORY + ":"):
                client.images.remove(tag, force=True)
                removed.append(tag)
    for name in (":".join(DEBOOTSTRAP_TAG), f"{DEBOOTSTRAP_TAG[0]}:latest"):
        if _local(client, name):
            client.images.remove(name, force=True)
            removed.append(name)
    return removed
