"""Debian packages for the lab, fetched once with apt in a container of the lab's image.

``apt-get download`` in a throwaway container from the lab's host image works
the same on a CI machine as root and on a workstation without root (no apt
on the machine itself needed); the .deb files are kept in the lab's state,
so a second ``lab up`` downloads nothing. ``dpkg-deb -x`` unpacks them.

    >>> download(client, image, ("wordpress",), spec.packages_dir, spec.labels)  # doctest: +SKIP
    'downloaded wordpress into ~/.local/state/upkeep/lab/packages'
"""

from __future__ import annotations

import io
import shlex
import shutil
import subprocess
import tarfile
from collections.abc import Sequence
from pathlib import Path

import docker
from docker.errors import APIError

from upkeep.errors import LabError

DOWNLOAD_TIMEOUT = 600


def cached(packages: Sequence[str], cache_dir: Path) -> list[Path]:
    """The cached .deb of each package, or [] when any is missing."""
    found = [sorted(cache_dir.glob(f"{name}_*.deb")) for name in packages]
    return [debs[-1] for debs in found] if all(found) else []


def download(
    client: docker.DockerClient,
    image: str,
    packages: Sequence[str],
    cache_dir: Path,
    labels: dict[str, str],
) -> str | None:
    """Fetch the packages' .deb files into ``cache_dir``; None when they are there."""
    if cached(packages, cache_dir):
        return None
    script = (
        "set -e; apt-get update -qq; mkdir -p /tmp/debs; cd /tmp/debs; "
        f"apt-get download -qq {shlex.join(packages)}"
    )
    try:
        container = client.containers.run(image, ["bash", "-c", script], detach=True, labels=labels)
    except APIError as error:
        raise LabError(f"cannot start a container to download packages: {error}") from None
    try:
        status = container.wait(timeout=DOWNLOAD_TIMEOUT).get("StatusCode")
        if status != 0:
            tail = container.logs().decode(errors="replace").strip().splitlines()[-3:]
            raise LabError(
                f"apt-get download {' '.join(packages)} failed: {' / '.join(tail)} "
                "(the lab's containers need Debian's package sources)"
            )
        chunks, _ = container.get_archive("/tmp/debs")
        archive = io.BytesIO(b"".join(chunks))
    finally:
        container.remove(force=True)
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=archive) as tar:
        for member in tar.getmembers():
            if member.isfile() and member.name.endswith(".deb"):
                source = tar.extractfile(member)
                assert source is not None
                (cache_dir / Path(member.name).name).write_bytes(source.read())
    return f"downloaded {', '.join(packages)} into {cache_dir}"


def unpack(debs: Sequence[Path], root: Path) -> None:
    """Unpack the packages' files into ``root``, as if it were /."""
    if shutil.which("dpkg-deb") is None:
        raise LabError("dpkg-deb is missing: install dpkg (scripts/bootstrap does)")
    for deb in debs:
        done = subprocess.run(
            ["dpkg-deb", "-x", str(deb), str(root)], capture_output=True, text=True
        )
        if done.returncode != 0:
            raise LabError(f"dpkg-deb -x {deb} failed: {done.stderr.strip()}")
