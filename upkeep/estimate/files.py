"""Which files of a checkout are PHP, and which directories are not the site's code.

PHP projects use more extensions than ``.php``: ``.inc`` includes, ``.phtml``
templates, Drupal's ``.module``/``.install``/``.theme``, CakePHP's ``.ctp``.
Version-control and editor directories and ``node_modules`` are skipped, and so
is a ``vendor/`` directory that sits next to a ``composer.json`` (Composer
manages it; the composer.lock check covers it). A ``vendor/`` without Composer
is code someone copied in and is scanned. Only regular files are listed: a FIFO or a device named ``x.php``
is left out (and said so), since reading it would block or never end. The
project has tests when a PHPUnit/Codeception configuration sits at its root,
or a ``tests/`` (``test/``) directory holds ``*Test.php`` files.

    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> for name in ("index.php", "lib.inc", "shop.module", "notes.txt", "vendor/a/b.php"):
    ...     (root / name).parent.mkdir(parents=True, exist_ok=True)
    ...     _ = (root / name).write_text("<?php\\n")
    >>> _ = (root / "composer.json").write_text("{}")
    >>> discover(root).files, discover(root).excluded
    (('index.php', 'lib.inc', 'shop.module'), ('vendor/ (managed by Composer)',))
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from upkeep.estimate.errors import EstimateUsageError

PHP_SUFFIXES = frozenset(
    {
        ".php",
        ".php3",
        ".php4",
        ".php5",
        ".php7",
        ".php8",
        ".phtml",
        ".inc",
        ".module",
        ".install",
        ".theme",
        ".profile",
        ".engine",
        ".ctp",
    }
)
SKIPPED_DIRECTORIES = frozenset({".git", ".hg", ".svn", ".idea", ".vscode", "node_modules"})
TEST_MARKERS = ("phpunit.xml", "phpunit.xml.dist", "phpunit.dist.xml", "codeception.yml")


@dataclass(frozen=True)
class SourceTree:
    root: Path
    files: tuple[str, ...]  # relative POSIX paths, sorted
    excluded: tuple[str, ...]  # relative directories left out, with the reason
    has_tests: bool
    test_directories: tuple[str, ...] = ()  # tests/ directories with *Test.php files
    test_config: bool = False  # phpunit.xml (or the like) at the root


def is_php(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in PHP_SUFFIXES


def discover(root: Path) -> SourceTree:
    """Every PHP file under ``root`` (symbolic links to directories are not followed)."""
    if not root.is_dir():
        raise EstimateUsageError(f"{root}: not a directory (give the checkout to estimate)")
    files: list[str] = []
    excluded: list[str] = []
    test_directories: list[str] = []
    test_config = any((root / marker).is_file() for marker in TEST_MARKERS)

    def refuse(error: OSError) -> None:
        excluded.append(
            f"{_relative(Path(error.filename or root), root)}/ (unreadable: {error.strerror})"
        )

    for directory, subdirectories, names in os.walk(root, onerror=refuse):
        here = Path(directory)
        has_composer = "composer.json" in names
        kept = []
        for sub in sorted(subdirectories):
            relative = _relative(here / sub, root)
            if sub in SKIPPED_DIRECTORIES:
                continue
            if sub == "vendor" and has_composer:
                excluded.append(f"{relative}/ (managed by Composer)")
                continue
            if sub.lower() in ("tests", "test") and _contains_test_case(here / sub):
                test_directories.append(f"{relative}/")
            kept.append(sub)
        subdirectories[:] = kept
        for name in sorted(names):
            if not is_php(name):
                continue
            relative = _relative(here / name, root)
            kind = _not_regular(here / name)
            if kind:
                excluded.append(f"{relative} (not a regular file: {kind})")
            else:
                files.append(relative)
    return SourceTree(
        root,
        tuple(sorted(files)),
        tuple(sorted(excluded)),
        has_tests=test_config or bool(test_directories),
        test_directories=tuple(sorted(test_directories)),
        test_config=test_config,
    )


def _not_regular(path: Path) -> str | None:
    """What the path is when it is not a regular file (links are followed), else None.

    A path that cannot be examined stays in the list: the scan reports why.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a file"


def _relative(path: Path, root: Path) -> str:
    relative = path.relative_to(root).as_posix()
    return relative if relative != "." else ""


def _contains_test_case(directory: Path) -> bool:
    """PHPUnit's convention: test cases live in files named ``*Test.php``."""
    return any(
        any(name.endswith("Test.php") for name in names) for _, _, names in os.walk(directory)
    )
