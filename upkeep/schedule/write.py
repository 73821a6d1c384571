"""Writing the generated files idempotently: a file already right is left alone.

A second run with the same schedule writes nothing and reports every file
``unchanged``. A job switched off leaves its old unit files behind in the
output directory; those (and only names ``upkeep schedule`` can produce for
this project) are removed, so the directory always matches the schedule.

    >>> import tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp())
    >>> files = [GeneratedFile("a.timer", "[Timer]\\n", "/etc/systemd/system/a.timer")]
    >>> [o.status.value for o in sync(folder, files, frozenset({"a.timer"}))]
    ['written']
    >>> [o.status.value for o in sync(folder, files, frozenset({"a.timer"}))]
    ['unchanged']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from upkeep.atomic import write_atomic
from upkeep.errors import UpkeepError
from upkeep.schedule.render import GeneratedFile


class FileStatus(StrEnum):
    written = "written"  # created or changed (with --dry-run: would be)
    unchanged = "unchanged"
    removed = "removed"  # a job switched off (with --dry-run: would be)


_WOULD = {FileStatus.written: "would write", FileStatus.removed: "would remove"}


@dataclass(frozen=True)
class FileOutcome:
    path: Path
    status: FileStatus
    install: str
    dry_run: bool = False

    @property
    def label(self) -> str:
        """``written``, ``unchanged``, ``removed``; ``would write``/``would remove`` in a dry run."""
        if self.dry_run:
            return _WOULD.get(self.status, self.status.value)
        return self.status.value

    def to_dict(self) -> dict[str, str]:
        return {"path": str(self.path), "status": self.label, "install": self.install}


def sync(
    directory: Path,
    files: Sequence[GeneratedFile],
    possible: frozenset[str],
    dry_run: bool = False,
) -> list[FileOutcome]:
    """Make ``directory`` hold exactly ``files`` among the ``possible`` names."""
    outcomes = [_one(directory, file, dry_run) for file in files]
    wanted = {file.name for file in files}
    for name in sorted(possible - wanted):
        path = directory / name
        if path.is_file():
            if not dry_run:
                path.unlink()
            outcomes.append(FileOutcome(path, FileStatus.removed, "", dry_run))
    return outcomes


def _one(directory: Path, file: GeneratedFile, dry_run: bool) -> FileOutcome:
    path = directory / file.name
    try:
        current = path.read_text(encoding="utf-8") if path.is_file() else None
    except (OSError, UnicodeDecodeError):
        current = None  # unreadable: rewrite it
    if current == file.text:
        return FileOutcome(path, FileStatus.unchanged, file.install, dry_run)
    if not dry_run:
        _write_atomically(path, file.text)
    return FileOutcome(path, FileStatus.written, file.install, dry_run)


def _write_atomically(path: Path, text: str) -> None:
    # A unit file half written is worse than the old one: write aside, then rename.
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, text, mode=0o644)
    except OSError as error:
        raise UpkeepError(f"{path}: cannot write it ({error.strerror})") from None
