"""What ``upkeep lab up`` writes for its projects, each piece made once and then left be.

- secrets (database passwords) in the lab's own file, never in git;
- a site's code as a git repository of its own, the same tree always the same commit;
- inventory files, rewritten only while they carry the generated marker.

    >>> ensure_repository(Path("examples/demo-site"), state / "demo-site", "Demo site",
    ...                   origin="examples/demo-site")                  # doctest: +SKIP
    'created the demo site repository .../demo-site at 5d1c0e2a9f'
"""

from __future__ import annotations

import filecmp
import os
import secrets
import shutil
from collections.abc import Sequence
from pathlib import Path

import git
import yaml

GENERATED_MARKER = "# upkeep-lab: generated"
AUTHOR = git.Actor("upkeep lab", "lab@upkeep.invalid")
FIXED_DATE = "1767225600 +0000"  # 2026-01-01, in git's own date format


def ensure_secrets(path: Path, names: Sequence[str]) -> str | None:
    """Generate the named secrets the lab's secrets file lacks; keep those it has."""
    current = yaml.safe_load(path.read_text()) if path.exists() else None
    current = current if isinstance(current, dict) else {}
    missing = [name for name in names if not current.get(name)]
    if not missing:
        return None
    for name in missing:
        current[name] = secrets.token_urlsafe(24)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("# The lab's generated secrets (upkeep lab up). Not in git.\n")
        yaml.safe_dump(current, handle, sort_keys=True)
    os.chmod(path, 0o600)
    return f"generated lab secrets {', '.join(missing)} in {path}"


def ensure_repository(source: Path, target: Path, title: str, *, origin: str) -> str | None:
    """``target`` as a git repository holding exactly ``source``'s files, committed
    (``origin`` says where they come from, in the message of a later commit)."""
    created = not (target / ".git").exists()
    repo = git.Repo.init(target, initial_branch="main") if created else git.Repo(target)
    if not created and _same_tree(source, target):
        return None
    _mirror(source, target)
    repo.git.add("--all")
    if not created and not repo.is_dirty(index=True, working_tree=False):
        return None
    message = title if created else f"{title}: follow {origin}"
    # A fixed date makes the same tree the same commit on every machine, so pins
    # written against one lab still resolve after the lab is made anew.
    repo.index.commit(
        message, author=AUTHOR, committer=AUTHOR, author_date=FIXED_DATE, commit_date=FIXED_DATE
    )
    verb = "created" if created else "updated"
    return f"{verb} the {title.lower()} repository {target} at {repo.head.commit.hexsha[:10]}"


def _same_tree(source: Path, target: Path) -> bool:
    def differs(cmp: filecmp.dircmp[str]) -> bool:
        right_only = [n for n in cmp.right_only if n != ".git"]
        if cmp.left_only or right_only or cmp.diff_files or cmp.funny_files:
            return True
        return any(differs(sub) for sub in cmp.subdirs.values())

    comparison = filecmp.dircmp(source, target, ignore=[])
    return not differs(comparison)


def _mirror(source: Path, target: Path) -> None:
    """Make ``target`` hold exactly ``source``'s files (its .git aside)."""
    for entry in target.iterdir():
        if entry.name == ".git":
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    shutil.copytree(source, target, dirs_exist_ok=True, symlinks=True)


def ensure_generated(text: str, path: Path) -> str | None:
    """Write ``text`` to ``path`` unless it is there already or a person took it over."""
    if path.exists():
        current = path.read_text()
        if current == text:
            return None
        if GENERATED_MARKER not in current.splitlines():
            return None  # a person took this file over (removed the marker): never rewrite it
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return f"wrote {path}"


def home_relative(path: Path) -> str:
    home = Path.home()
    try:
        return "~/" + str(path.relative_to(home))
    except ValueError:
        return str(path)
