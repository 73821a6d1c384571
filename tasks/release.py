"""The application's code, Deployer-style: releases/<id>, shared/, `current` switched atomically.

The control side packs the pinned commit (gitpython) into an archive; the host
unpacks it into a new release, links the shared paths and the env file, runs
the project's release commands as the site user, then switches `current` with
``mv -T``. A release whose commands fail is marked BAD_RELEASE and never goes
live; `current` only ever points at a complete release.

Everything here is root's except the shared paths: the site user (PHP-FPM,
so any vulnerable plugin) reads the code and the env file and writes only
its uploads, caches and sessions. Root scripts take nothing the host shows
on trust: release ids are 14 digits or ignored, a symlink where a directory
belongs is refused, and no name read from the host reaches a shell unchecked.
"""

from __future__ import annotations

import datetime as dt
import shlex
from io import StringIO

from pyinfra import host
from pyinfra.api import deploy, operation
from pyinfra.api.exceptions import OperationError
from pyinfra.operations import files

from tasks.facts import (
    RELEASE_GLOB,
    ReleaseInfo,
    ReleasesNotRootOwned,
    ReleaseState,
    is_commit,
    is_release_id,
)
from upkeep.desired import Release, SiteState
from upkeep.templating import render


def new_release_id(now: dt.datetime | None = None) -> str:
    return (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%d%H%M%S")


# Bash helpers every root script here starts with. The site user writes only its
# shared paths, yet a host set up before that rule may still hold what it planted:
# root never writes through a symlink where a directory of ours belongs.
GUARDS = r"""refuse() { echo "refusing: $1" >&2; exit 3; }
real_dir() { [ ! -L "$1" ] || refuse "$1 is a symlink where a directory belongs"; }
real_path() {  # every component of $2 under $1, none a symlink
  local path=$1 part; local -a parts; IFS=/ read -ra parts <<< "$2"
  for part in "${parts[@]}"; do path=$path/$part; real_dir "$path"; done
}"""


def _checked_release_id(release_id: str) -> str:
    if not is_release_id(release_id):
        raise OperationError(f"{release_id!r} is not a release id (14 digits, YYYYmmddHHMMSS)")
    return release_id


def _checked_commit(commit: str) -> str:
    if not is_commit(commit):
        raise OperationError(f"{commit!r} is not a full git commit id")
    return commit


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
    """One bash script, run as root, that builds a release and, only if all went well, makes
    it current. The release tree is root's, readable by all; the site user runs the release
    commands in it and writes only to the shared paths, which it owns."""
    q = shlex.quote
    release_id, commit = _checked_release_id(release_id), _checked_commit(commit)
    rel = f"{base_dir}/releases/{release_id}"
    lines = [
        "set -euo pipefail",
        "umask 022",
        GUARDS,
        f"base={q(base_dir)}; rel={q(rel)}",
        'for d in "$base/releases" "$base/shared" "$base/.dep"; do real_dir "$d"; done',
        'mkdir -p "$base/releases" "$base/shared" "$base/.dep"',
        f'bad() {{ touch "$rel/BAD_RELEASE"; '
        f'echo "$(date -u +%FT%TZ) {release_id} {commit} bad" >> "$base/.dep/releases.log"; }}',
        "trap bad ERR",
        'rm -rf "$rel"; mkdir "$rel"',
        # Owned by root whatever the archive says, modes under the umask: nobody else writes.
        f'tar --no-same-owner --no-same-permissions -xzf {q(archive)} -C "$rel"',
    ]
    for path in shared_paths:
        lines += _shared_path_lines(path, user)
    lines += [
        'ln -sfn "$base/shared/.env" "$rel/.env"',
        f'echo {q(commit)} > "$rel/REVISION"',
    ]
    lines += [
        f"runuser -u {q(user)} -- bash -c {q(f'cd {q(rel)} && {command}')}" for command in commands
    ]
    lines += [
        "trap - ERR",
        *_switch_current_lines(release_id),
        f'echo "$(date -u +%FT%TZ) {release_id} {commit} ok" >> "$base/.dep/releases.log"',
        *_prune_lines(release_id, keep),
    ]
    return "\n".join(lines)


def _shared_path_lines(path: str, user: str) -> list[str]:
    """Link one shared path into the release; the first release seeds it from the repository."""
    q, p = shlex.quote, shlex.quote(path)
    return [
        f'real_path "$base/shared" {p}',
        f'if [ ! -e "$base/shared/"{p} ]; then mkdir -p "$(dirname "$base/shared/"{p})"; '
        f'if [ -e "$rel/"{p} ]; then cp -a "$rel/"{p} "$base/shared/"{p}; '
        f'else mkdir "$base/shared/"{p}; fi; chown -R {q(user)}: "$base/shared/"{p}; fi',
        f'rm -rf "$rel/"{p}; mkdir -p "$(dirname "$rel/"{p})"; ln -s "$base/shared/"{p} "$rel/"{p}',
    ]


def _switch_current_lines(release_id: str) -> list[str]:
    """`current` switched atomically; whatever sat at current.tmp is removed, never followed."""
    return [
        'rm -rf "$base/current.tmp"',
        f'ln -sn releases/{release_id} "$base/current.tmp"',
        'mv -T "$base/current.tmp" "$base/current"',
    ]


def _prune_lines(release_id: str, keep: int) -> list[str]:
    """keep_releases: the newest real release directories stay, the new (current) one always.

    Only names the 14-digit glob matches are seen, so no name read from the host
    is ever split, parsed or followed; symlinks are neither counted nor removed.
    """
    return [
        "found=()",
        f'for d in "$base/releases/"{RELEASE_GLOB}; do '
        '[ -d "$d" ] && [ ! -L "$d" ] && found+=("${d##*/}"); done',
        f"for ((i = 0; i < ${{#found[@]}} - {int(keep)}; i++)); do "
        f'[ "${{found[i]}}" = {release_id} ] || rm -rf -- "$base/releases/${{found[i]}}"; done',
    ]


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
        base_dir=base_dir,
        user=user,
        release_id=release_id,
        commit=commit,
        archive=archive,
        shared_paths=shared_paths,
        keep=keep,
        commands=commands,
    )
    yield f"bash -c {shlex.quote(script)}"


def previous_release(info: ReleaseInfo) -> str | None:
    """The newest good release older than the current one."""
    if info.current is None:
        return None
    older = [r for r in info.releases if r < info.current and r not in info.bad]
    return older[-1] if older else None


def rollback_script(base_dir: str, current: str, previous: str) -> str:
    """Mark ``current`` bad and switch back to ``previous``: both ids checked, nothing read
    from the host is interpreted by the shell."""
    current, previous = _checked_release_id(current), _checked_release_id(previous)
    return "\n".join(
        [
            "set -euo pipefail",
            GUARDS,
            f"base={shlex.quote(base_dir)}",
            f'for d in "$base/releases" "$base/releases/{current}" '
            f'"$base/releases/{previous}" "$base/.dep"; do real_dir "$d"; done',
            # a BAD_RELEASE planted as a symlink would make touch create its target
            f'rm -f "$base/releases/{current}/BAD_RELEASE"',
            f'touch "$base/releases/{current}/BAD_RELEASE"',
            *_switch_current_lines(previous),
            f'echo "$(date -u +%FT%TZ) {previous} rollback-from-{current}" '
            '>> "$base/.dep/releases.log"',
        ]
    )


@operation()
def release_rolled_back(base_dir: str):
    """Switch `current` back to the previous good release and mark the current one bad."""
    info: ReleaseInfo = host.get_fact(ReleaseState, base_dir=base_dir)
    if info.current is None:
        raise OperationError(
            f"`current` under {base_dir} does not point at a release"
            + (f" (ignored: {', '.join(info.ignored)})" if info.ignored else "")
        )
    current = _checked_release_id(info.current)  # a fact made by hand is checked as well
    previous = previous_release(info)
    if previous is None:
        raise OperationError(f"no earlier good release under {base_dir} to roll back to")
    yield f"bash -c {shlex.quote(rollback_script(base_dir, current, previous))}"


@operation()
def releases_owned_by_root(base_dir: str):
    """Hand release trees from an older layout (the site user's) to root, read-only to others."""
    stale: tuple[str, ...] = host.get_fact(ReleasesNotRootOwned, base_dir=base_dir)
    if not stale:
        host.noop("every release tree is root's")
        return
    for release_id in stale:
        tree = shlex.quote(f"{base_dir}/releases/{_checked_release_id(release_id)}")
        # -R without -L/-H never follows a symlink; chmod -R skips them.
        yield f"test ! -L {tree} && chown -R root:root {tree} && chmod -R go-w {tree}"


def root_directories(site: SiteState) -> list[str]:
    """The site's directories only root writes: all but the shared paths themselves.

    >>> site = SiteState.example()
    >>> root_directories(site)[-1] == site.layout.shared("public")
    True
    """
    layout = site.layout
    parents = {
        "/".join(path.split("/")[:depth])
        for path in site.shared_paths
        for depth in range(1, path.count("/") + 1)
    }
    # a parent that is itself a shared path, or inside one, is the site's
    owned = tuple(site.shared_paths)
    parents = {p for p in parents if not any(p == o or p.startswith(o + "/") for o in owned)}
    return [
        layout.releases_dir,
        layout.deploy_dir,
        layout.archives_dir,
        layout.shared_dir,
        *(layout.shared(parent) for parent in sorted(parents)),
    ]


@deploy("Release")
def release(site: SiteState, release: Release, site_url: str) -> None:
    # root's, like the base directory: the site user cannot plant a name root later reads.
    for path in root_directories(site):
        files.directory(name=f"{path} is root's", path=path, user="root", group="root", mode="755")
    releases_owned_by_root(name="Release trees are root's", base_dir=site.base_dir)
    files.put(
        name="Environment file (credentials)",
        src=StringIO(render("app/env.j2", site=site, site_url=site_url)),
        dest=site.layout.env_file,
        # readable by the site (PHP-FPM), neither writable nor replaceable by it
        user="root",
        group=site.app_user,
        mode="640",
    )
    remote_archive = site.layout.archive(release.commit)
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
