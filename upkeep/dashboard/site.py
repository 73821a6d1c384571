"""The dashboard as files: rendered pages, one stylesheet, and copies of the reports they link.

A site is a mapping from relative path to bytes (``render_site``), so a build
is a pure function of what was recorded; ``write_site`` makes a directory
hold exactly that mapping, touching only the files whose bytes change. A
directory upkeep did not build is never emptied: it must be new or empty.

    >>> files = {"index.html": b"<p>fleet</p>"}
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "site"
    >>> write_site(target, files).changed, write_site(target, files).changed
    (2, 0)
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from upkeep.atomic import write_atomic
from upkeep.dashboard.model import FleetPage, Link, ProjectPage, page_path
from upkeep.errors import UsageError
from upkeep.templating import TEMPLATES_DIR, render

INDEX = "index.html"
STYLE = "style.css"
# Says that upkeep built this directory, so a rebuild may remove what is no longer part of it.
MARKER = ".upkeep-dashboard"


@dataclass(frozen=True)
class Written:
    directory: Path
    files: int  # the site's files, the marker included
    changed: int  # written because they were new or different
    removed: int  # left from an earlier build and no longer part of the site

    @property
    def index(self) -> Path:
        return self.directory / INDEX


def render_site(fleet: FleetPage, projects: Sequence[ProjectPage]) -> dict[str, bytes]:
    """Every file of the site, by its path relative to the site's root."""
    files = {
        INDEX: render("dashboard/fleet.html.j2", page=fleet, root="").encode(),
        STYLE: (TEMPLATES_DIR / "dashboard" / STYLE).read_bytes(),
    }
    for page in projects:
        files[page_path(page.name)] = render(
            "dashboard/project.html.j2", page=page, root="../"
        ).encode()
    for link in sorted(_copied(projects), key=lambda link: link.href):
        assert link.source is not None
        files[link.href] = link.source.read_bytes()
    return files


def _copied(projects: Sequence[ProjectPage]) -> Iterator[Link]:
    for page in projects:
        for report in page.reports:
            yield from report.files
        for run in page.runs:
            yield from run.reports


def write_site(directory: Path, files: Mapping[str, bytes]) -> Written:
    """``directory`` holding exactly ``files``; a UsageError, with nothing written, when it
    is a file or a directory that holds other things and upkeep did not build."""
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory}: not a directory (--output names the site's directory)")
    if directory.is_dir() and any(directory.iterdir()) and not (directory / MARKER).is_file():
        raise UsageError(
            f"{directory}: not empty and not a dashboard upkeep built; "
            "choose a new or empty directory for --output"
        )
    files = {**files, MARKER: b"built by upkeep dashboard build; rebuilt in place\n"}
    changed = 0
    try:
        for name, data in files.items():
            path = directory / name
            if path.is_file() and path.read_bytes() == data:
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, data, mode=0o644, durable=False)
            changed += 1
        removed = _remove_others(directory, set(files))
    except OSError as error:
        raise UsageError(f"{directory}: cannot write the dashboard ({error.strerror})") from None
    return Written(directory, len(files), changed, removed)


def _remove_others(directory: Path, keep: set[str]) -> int:
    """Files of an earlier build that are no longer part of the site, and emptied folders."""
    removed = 0
    for root, folders, names in os.walk(directory, topdown=False):
        here = Path(root)
        for name in names:
            if (here / name).relative_to(directory).as_posix() not in keep:
                (here / name).unlink()
                removed += 1
        for folder in folders:
            if not any((here / folder).iterdir()):
                (here / folder).rmdir()
    return removed
