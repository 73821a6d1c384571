"""Reading inventory and pins files, and naming them the way an operator would.

>>> from pathlib import Path
>>> read_text(Path("no/such/inventory.yml"))[1][0].message
'no such file (check the path)'
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from upkeep.inventory.problems import Problem

# The fleet file: every server declared once, in inventories/ beside the projects.
SERVERS_FILE = "servers.yml"
# The care plans and SLA policies, defined once beside the projects (upkeep.inventory.care).
PLANS_FILE = "plans.yml"
MAX_BYTES = 1_000_000  # an inventory is a page or two; anything bigger is a mistake


def display(path: Path) -> str:
    """The path relative to the current directory when below it, else as given."""
    try:
        return str(path.absolute().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def read_text(path: Path) -> tuple[str | None, list[Problem]]:
    """The file's text, or the problem that stopped us reading it.

    Only a regular file is read: a FIFO would block the run until someone
    writes to it, and a directory or device is never an inventory.
    """
    shown = display(path)

    def problem(message: str) -> tuple[None, list[Problem]]:
        return None, [Problem(shown, None, (), message)]

    try:
        # O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return problem("no such file (check the path)")
    except OSError as error:
        return problem(f"cannot read it ({error.strerror})")
    mode = os.fstat(fd).st_mode  # of what was opened, so a swap after a check cannot fool it
    if not stat.S_ISREG(mode):
        os.close(fd)
        return problem(f"is {_kind(mode)}, not a file (give an inventory file)")
    with os.fdopen(fd, "rb") as handle:
        try:
            data = handle.read(MAX_BYTES + 1)
        except OSError as error:
            return problem(f"cannot read it ({error.strerror})")
    if len(data) > MAX_BYTES:
        return problem(f"larger than {MAX_BYTES} bytes (is it the right file?)")
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as error:
        return problem(f"not UTF-8 text (byte {error.start}; save it as UTF-8)")


def present(path: Path) -> bool:
    """Whether anything at all is at ``path`` (a file, a directory, a FIFO, a broken link).

    Callers ask this rather than ``is_file()`` so that something that is not a
    file is refused by read_text, never passed over as if it were absent.
    """
    return os.path.lexists(path)


def _kind(mode: int) -> str:
    kinds = {
        stat.S_ISDIR: "a directory",
        stat.S_ISFIFO: "a FIFO (named pipe)",
        stat.S_ISSOCK: "a socket",
        stat.S_ISCHR: "a character device",
        stat.S_ISBLK: "a block device",
    }
    return next((name for test, name in kinds.items() if test(mode)), "not a regular file")
