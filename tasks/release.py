"""The application's code, Deployer-style: releases/<id>, shared/, `current` switched atomically.

The control side packs the pinned commit (gitpython) into an archive; the host
unpacks it into a new release, links the shared paths and the env file, runs
the project's release commands as the site user, then switches `current` with
``mv -T``. A release whose commands fail is marked BAD_RELEASE and never goes
live; `current` only ever points at a complete release.
"""

from __future__ import annotations

import datetime as dt
import shlex
from io import StringIO

from pyinfra import host
from pyinfra.api import deploy, operation
from pyinfra.api.exceptions import OperationError
from pyinfra.operations import files

from tasks.facts import ReleaseInfo, ReleaseState
from upkeep.desired import Release, SiteState
from upkeep.templating import render


def new_release_id(now: dt.datetime | None = None) -> str:
    return (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%d%H%M%S")


def release_script(
    *,
    base_dir: str,
    user: str,
    release_id: str,
    commit: str,
    archive: str,
    shared_paths: tuple[str, ...],
    keep: int,
    commands: tuple[str, ...],
) -> str:
    """One bash script that builds a release and, only if all went well, makes it current."""
    q = shlex.quote
    rel = f"{base_dir}/releases/{release_id}"
    lines = [
        "set -euo pipefail",
        f"base={q(base_dir)}; rel={q(rel)}",
        'mkdir -p "$base/releases" "$base/shared" "$base/.dep"',
        f'bad() {{ touch "$rel/BAD_RELEASE"; '
        f'echo "$(date -u +%FT%TZ) {release_id} {commit} bad" >> "$base/.dep/releases.log"; }}',
        "trap bad ERR",
        'rm -rf "$rel"; mkdir -p "$rel"',
        f'tar -xzf {q(archive)} -C "$rel"',
    ]
    for path in shared_paths:
        p = q(path)
        lines += [
            # The first release seeds shared/ from the repository's copy, if it has one.
            f'if [ ! -e "$base/shared/"{p} ]; then mkdir -p "$(dirname "$base/shared/"{p})"; '
            f'if [ -e "$rel/"{p} ]; then cp -a "$rel/"{p} "$base/shared/"{p}; '
            f'else mkdir -p "$base/shared/"{p}; fi; chown -R {q(user)}: "$base/shared/"{p}; fi',
            f'rm -rf "$rel/"{p}; mkdir -p "$(dirname "$rel/"{p})"; ln -s "$base/shared/"{p} "$rel/"{p}',
        ]
    lines += [
        'ln -sfn "$base/shared/.env" "$rel/.env"',
        f'echo {q(commit)} > "$rel/REVISION"',
        f'chown -R {q(user)}: "$rel"',
    ]
    lines += [
        f"runuser -u {q(user)} -- bash -c {q(f'cd {q(rel)} && {command}')}" for command in commands
    ]
    lines += [
        "trap - ERR",
        f'ln -sfn releases/{q(release_id)} "$base/current.tmp"',
        'mv -T "$base/current.tmp" "$base/current"',
        f'echo "$(date -u +%FT%TZ) {release_id} {commit} ok" >> "$base/.dep/releases.log"',
        # keep_releases: the newest ones stay, current always among them.
        f'ls -1 "$base/releases" | sort | head -n -{int(keep)} | while read -r old; do '
        f'[ "$old" = {q(release_id)} ] || rm -rf "$base/releases/$old"; done',
    ]
    return "\n".join(lines)


@operation()
def release_deployed(
    base_dir: str,
    user: str,
    commit: str,
    archive: str,
    release_id: str,
    shared_paths: tuple[str, ...] = (),
    keep: int = 5,
    commands: tuple[str, ...] = (),
):
    """Make ``commit`` the current release, unless it already is."""
    info: ReleaseInfo = host.get_fact(ReleaseState, base_dir=base_dir)
    if info.commit == commit and info.current not in info.bad:
        host.noop(f"release {info.current} at {commit[:10]} is current")
        return
    script = release_script(
        base_dir=base_dir, user=user, release_id=release_id, commit=commit, archive=archive,
        shared_paths=shared_paths, keep=keep, commands=commands,
    )  # fmt: skip
    yield f"bash -c {shlex.quote(script)}"


def previous_release(info: ReleaseInfo) -> str | None:
    """The newest good release older than the current one."""
    if info.current is None:
        return None
    older = [r for r in info.releases if r < info.current and r not in info.bad]
    return older[-1] if older else None


@operation()
def release_rolled_back(base_dir: str):
    """Switch `current` back to the previous good release and mark the current one bad."""
    info: ReleaseInfo = host.get_fact(ReleaseState, base_dir=base_dir)
    previous = previous_release(info)
    if previous is None:
        raise OperationError(f"no earlier good release under {base_dir} to roll back to")
    base = shlex.quote(base_dir)
    yield (
        f"touch {base}/releases/{shlex.quote(str(info.current))}/BAD_RELEASE && "
        f"ln -sfn releases/{shlex.quote(previous)} {base}/current.tmp && "
        f"mv -T {base}/current.tmp {base}/current && "
        f'echo "$(date -u +%FT%TZ) {previous} rollback-from-{info.current}" >> {base}/.dep/releases.log'
    )


@deploy("Release")
def release(site: SiteState, release: Release, site_url: str) -> None:
    files.directory(
        name="Shared directory",
        path=site.shared_dir,
        user=site.app_user,
        group=site.app_user,
        mode="755",
    )
    files.put(
        name="Environment file (credentials)",
        src=StringIO(render("app/env.j2", site=site, site_url=site_url)),
        dest=f"{site.shared_dir}/.env",
        user=site.app_user,
        group=site.app_user,
        mode="600",
    )
    remote_archive = f"{site.base_dir}/.dep/archives/{release.commit}.tar.gz"
    files.put(
        name=f"Code at {release.commit[:10]}", src=release.archive, dest=remote_archive, mode="600"
    )
    release_deployed(
        name=f"Release {release.ref} ({release.commit[:10]})",
        base_dir=site.base_dir,
        user=site.app_user,
        commit=release.commit,
        archive=remote_archive,
        release_id=new_release_id(),
        shared_paths=site.shared_paths,
        keep=release.keep_releases,
        commands=release.commands,
    )
