"""Operations of our own, pyinfra style: compare facts, yield only what the difference needs."""

from __future__ import annotations

import shlex

from pyinfra import host
from pyinfra.api import operation

from tasks.facts import FileChecksums


@operation()
def file_copied(src: str, dest: str):
    """``dest`` on the host holds exactly what ``src`` on the host holds."""
    sums = host.get_fact(FileChecksums, paths=(src, dest))
    if sums.get(src) is None:
        host.noop(f"{src} does not exist; nothing to copy")
        return
    if sums.get(src) == sums.get(dest):
        host.noop(f"{dest} already matches {src}")
        return
    yield f"cp {shlex.quote(src)} {shlex.quote(dest)}"
