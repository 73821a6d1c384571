"""The site's code on the control side: its git repository, refs and archives (gitpython).

A repository given as a URL is cloned once into the workspace cache and
fetched afterwards; a local path is used in place. Archives of a commit are
cached by commit, so packing the same release twice costs nothing.

    >>> source = Source.open("~/.local/state/upkeep/lab/demo-site", cache)  # doctest: +SKIP
    >>> source.resolve("main")                                              # doctest: +SKIP
    '9c3f387d20...'
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path

import git

from upkeep.errors import UsageError


@dataclass(frozen=True)
class Source:
    repo: git.Repo
    cache: Path

    @classmethod
    def open(cls, repository: str, cache: Path) -> Source:
        """The repository at ``repository`` (path or URL), cloned into ``cache`` if remote."""
        local = Path(os.path.expanduser(repository))
        try:
            if local.is_dir():
                return cls(git.Repo(local), cache)
            clone = cache / "repos" / hashlib.sha256(repository.encode()).hexdigest()[:16]
            if (clone / ".git").exists() or (clone / "HEAD").exists():
                repo = git.Repo(clone)
                repo.remotes.origin.fetch(prune=True, tags=True)
            else:
                repo = git.Repo.clone_from(repository, clone, no_checkout=True)
            return cls(repo, cache)
        except (git.GitCommandError, git.InvalidGitRepositoryError, git.NoSuchPathError) as error:
            raise UsageError(
                f"cannot open the git repository {repository}: {_short(error)}"
            ) from None

    def resolve(self, ref: str) -> str:
        """The full commit id ``ref`` names (a branch, tag or commit), preferring the remote's."""
        candidates = [f"origin/{ref}", ref] if self.repo.remotes else [ref]
        for candidate in candidates:
            try:
                return self.repo.commit(candidate).hexsha
            except (git.BadName, ValueError, git.GitCommandError):
                continue
        raise UsageError(
            f"{self.repo.working_dir or self.repo.git_dir}: no branch, tag or commit {ref!r}"
        )

    def archive(self, commit: str) -> Path:
        """A tar.gz of the commit's tree, made once per commit."""
        target = self.cache / "archives" / f"{commit}.tar.gz"
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".partial")
            with partial.open("wb") as handle:
                self.repo.archive(handle, treeish=commit, format="tar.gz")
            partial.replace(target)  # never leave half an archive under the final name
        return target

    def unpack(self, commit: str, destination: Path) -> Path:
        """``destination`` holding exactly the commit's tree (made again when the commit changes)."""
        marker = destination.parent / f"{destination.name}.commit"
        if destination.is_dir() and marker.is_file() and marker.read_text() == commit:
            return destination
        archive = self.archive(commit)
        if destination.exists():
            shutil.rmtree(destination)
        partial = destination.parent / f"{destination.name}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        with tarfile.open(archive) as tar:
            tar.extractall(partial, filter="data")  # no links or paths out of the tree
        partial.rename(destination)
        marker.write_text(commit)
        return destination


def _short(error: Exception) -> str:
    text = str(error).strip().splitlines()
    return text[-1].strip() if text else type(error).__name__
