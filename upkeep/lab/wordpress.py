"""The lab's WordPress project: a real WordPress, its git repository and its inventory.

The code is Debian 12's ``wordpress`` package with its default theme (the
libraries Debian links to from other packages copied in, as a site's
repository holds them), under ``public/``, and examples/wordpress-site on
top: a wp-config.php reading the release's ``.env``, a health page and the
seed script. ``lab up`` commits that tree at a fixed date, so the same
packages make the same commit everywhere, and writes ``inventories/wordpress.yml``:
dev and staging beside the demo, production on the lab's second production server.

    >>> wordpress_hosts(LabSpec.from_env())
    {'dev': 'lab-dev', 'staging': 'lab-staging', 'production': 'lab-production-2'}
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import docker
import git

from upkeep.errors import LabError
from upkeep.lab import debs
from upkeep.lab.generated import ensure_generated, ensure_repository, ensure_secrets, home_relative
from upkeep.lab.spec import LabSpec, Member
from upkeep.templating import REPOSITORY_DIR, render
from upkeep.workspace import Workspace

SOURCE = REPOSITORY_DIR / "examples" / "wordpress-site"
# WordPress, its default theme, and the packages its files link into.
PACKAGES = (
    "wordpress",
    "wordpress-theme-twentytwentythree",
    "php-getid3",
    "libjs-underscore",
    "libjs-cropper",
)
INSTALLED_AT = Path("usr/share/wordpress")
SECRET_NAMES = ("wordpress_db_password", "wordpress_db_dump_password")


def ensure(
    spec: LabSpec, workspace: Workspace, client: docker.DockerClient, image: str
) -> list[str]:
    """Make the WordPress project's pieces exist; return what was done."""
    if not SOURCE.is_dir():
        raise LabError(f"{SOURCE} is missing from this checkout")
    actions = [
        debs.download(client, image, PACKAGES, spec.packages_dir, spec.labels),
        ensure_secrets(spec.secrets_file, SECRET_NAMES),
        _ensure_repository(spec),
        ensure_generated(inventory_text(spec), workspace.inventories / "wordpress.yml"),
    ]
    return [action for action in actions if action]


def _ensure_repository(spec: LabSpec) -> str | None:
    packages = debs.cached(PACKAGES, spec.packages_dir)
    target = spec.wordpress_repository
    # Unpacking 60 MB to compare is most of a second lab up: the same packages and the same
    # examples/wordpress-site made the clean tree committed last time, so it is still right.
    stamp, inputs = target / ".git" / "upkeep-lab-inputs", _inputs(packages)
    if stamp.is_file() and stamp.read_text() == inputs and not git.Repo(target).is_dirty():
        return None
    with tempfile.TemporaryDirectory(prefix="upkeep-wordpress-") as tmp:
        root, tree = Path(tmp) / "root", Path(tmp) / "tree"
        debs.unpack(packages, root)
        compose(root, SOURCE, tree)
        origin = "Debian's wordpress package and examples/wordpress-site"
        action = ensure_repository(tree, target, "WordPress site", origin=origin)
    stamp.write_text(inputs)
    return action


def _inputs(packages: list[Path]) -> str:
    """A digest of what the tree is made of: the packages (by name and version) and our files."""
    digest = hashlib.sha256()
    for deb in packages:
        digest.update(deb.name.encode() + b"\0")
    for path in sorted(p for p in SOURCE.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(SOURCE)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def compose(root: Path, overlay: Path, tree: Path) -> None:
    """The site's tree from the packages unpacked at ``root``: WordPress in public/,
    links into the packages replaced by the files, ``overlay`` on top."""
    public = tree / "public"
    shutil.copytree(root / INSTALLED_AT, public, symlinks=True)
    for directory, _, names in os.walk(public):
        for name in names:
            link = Path(directory) / name
            if link.is_symlink():
                original = root / INSTALLED_AT / link.relative_to(public)
                if (target := _package_file(root, original)) is not None:
                    link.unlink()
                    shutil.copy2(target, link)
                # else a link to the server's own file (the CA bundle): kept as it is
    (public / "wp-config.php").unlink()  # Debian's reads /etc/wordpress; ours is one level up
    shutil.copytree(overlay, tree, dirs_exist_ok=True)


def _package_file(root: Path, link: Path) -> Path | None:
    """The file that ``link`` leads to inside the unpacked packages, if it is one of theirs."""
    path = link
    for _ in range(8):  # links to links, never forever
        target = os.readlink(path)
        path = root / target.lstrip("/") if target.startswith("/") else path.parent / target
        if not path.is_symlink():
            return path if path.is_file() else None
    return None


def wordpress_hosts(spec: LabSpec) -> dict[str, str]:
    """One server per environment: the demo's dev and staging, the second production."""
    return {
        "dev": spec.host_name(Member("dev")),
        "staging": spec.host_name(Member("staging")),
        "production": spec.host_name(spec.second_production),
    }


def inventory_text(spec: LabSpec) -> str:
    """The WordPress inventory for this lab, exactly as ``lab up`` writes it."""
    return render(
        "lab/wordpress-inventory.yml.j2",
        repository=home_relative(spec.wordpress_repository),
        hosts=wordpress_hosts(spec),
    )
