"""Operations of our own, pyinfra style: compare facts, yield only what the difference needs."""

from __future__ import annotations

import shlex

from pyinfra import host
from pyinfra.api import operation
from pyinfra.operations import server

from tasks.facts import Account, FileChecksums, UserAccount


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


@operation()
def system_user(user: str, group: str, home: str, shell: str):
    """A system user, as ``server.user`` makes one (no home created, none handed over),
    that reads only this user: pyinfra's, with every user's fact, only when it differs."""
    if host.get_fact(UserAccount, user=user) == Account(home=home, shell=shell, group=group):
        host.noop(f"user {user} already has its home, shell and group")
        return
    yield from server.user._inner(
        user=user,
        group=group,
        home=home,
        shell=shell,
        system=True,
        create_home=False,
        ensure_home=False,  # pyinfra would hand the home (the site directory) to the user
    )
