"""The site's code on the control side: refs, archives and unpacked trees (real git)."""

from __future__ import annotations

import tarfile
from pathlib import Path

import git
import pytest

from upkeep.errors import UsageError
from upkeep.source import Source

AUTHOR = git.Actor("t", "t@example.invalid")


def _repo(path: Path) -> git.Repo:
    repo = git.Repo.init(path, initial_branch="main")
    (path / "index.php").write_text("<?php echo 1;\n")
    repo.index.add(["index.php"])
    repo.index.commit("one", author=AUTHOR, committer=AUTHOR)
    return repo


def _commit(repo: git.Repo, name: str, text: str) -> str:
    Path(str(repo.working_tree_dir), name).write_text(text)
    repo.index.add([name])
    return repo.index.commit(text, author=AUTHOR, committer=AUTHOR).hexsha


def test_a_local_repository_resolves_branches_tags_and_commits(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "site")
    repo.create_tag("v1")
    source = Source.open(str(tmp_path / "site"), tmp_path / "cache")
    head = repo.head.commit.hexsha
    assert source.resolve("main") == source.resolve("v1") == source.resolve(head[:8]) == head
    with pytest.raises(UsageError, match="no branch, tag or commit 'nope'"):
        source.resolve("nope")


def test_a_url_is_cloned_once_then_fetched(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "site")
    url = (tmp_path / "site").as_uri()  # file://, so git treats it as a remote
    first = Source.open(url, tmp_path / "cache").resolve("main")
    newer = _commit(repo, "two.php", "two")
    assert first != newer
    assert Source.open(url, tmp_path / "cache").resolve("main") == newer


def test_archive_holds_the_commit_tree_and_is_made_once(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "site")
    source = Source.open(str(tmp_path / "site"), tmp_path / "cache")
    archive = source.archive(repo.head.commit.hexsha)
    with tarfile.open(archive) as tar:
        assert "index.php" in tar.getnames()
    stamp = archive.stat().st_mtime_ns
    assert source.archive(repo.head.commit.hexsha).stat().st_mtime_ns == stamp


def test_unpack_follows_the_commit_and_leaves_nothing_stale(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "site")
    source = Source.open(str(tmp_path / "site"), tmp_path / "cache")
    tree = source.unpack(repo.head.commit.hexsha, tmp_path / "tree")
    (tree / "leftover.tmp").write_text("x")
    assert source.unpack(repo.head.commit.hexsha, tmp_path / "tree") == tree
    assert (tree / "leftover.tmp").exists()  # same commit: kept as it is
    newer = _commit(repo, "two.php", "two")
    source.unpack(newer, tmp_path / "tree")
    assert sorted(p.name for p in tree.iterdir()) == ["index.php", "two.php"]


def test_a_missing_repository_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot open the git repository"):
        Source.open(str(tmp_path / "gone"), tmp_path / "cache")
