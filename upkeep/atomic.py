"""Replace a file whole or not at all: a reader never sees half of it.

The text goes to a temporary file beside the target (same directory, so the
same filesystem), is flushed to disk, gets its mode, and is then renamed over
the target with ``os.replace``. If anything fails, the old file is untouched
and the temporary file is removed.

    >>> import pathlib, tempfile
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "pins.yml"
    >>> write_atomic(target, "php: 8.2.36\\n", mode=0o644)
    >>> target.read_text(), oct(target.stat().st_mode & 0o777)
    ('php: 8.2.36\\n', '0o644')
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


class DirectoryUnwritable(OSError):
    """The temporary file could not be made beside the target: its directory refuses it.

    Raised instead of the plain OSError so a caller can say "cannot write there"
    (the directory) apart from "cannot write it" (the file).
    """


def write_atomic(path: Path, data: str | bytes, *, mode: int, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` (text is written as UTF-8), leaving it with ``mode``.

    ``durable=False`` skips the fsync, for files that may be lost on a crash
    (a cache) but must still never be read half written. The directory must
    exist. Raises ``DirectoryUnwritable`` when the temporary file cannot be
    made, any other OSError as it comes.
    """
    content = data.encode("utf-8") if isinstance(data, str) else data
    try:
        # The name never ends like the target's (e.g. .prom), so a collector
        # watching the directory by suffix does not pick it up half written.
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise DirectoryUnwritable(error.errno, error.strerror, str(path.parent)) from error
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.chmod(temporary, mode)  # mkstemp makes it 0600 whatever the caller needs
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
