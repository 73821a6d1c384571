"""The scan cache and the worker pool."""

from __future__ import annotations

import gc
from pathlib import Path

from upkeep.estimate.catalogue import load_catalogue
from upkeep.estimate.files import discover
from upkeep.estimate.matchers import compile_matchers
from upkeep.estimate.pool import _start, cache_salt, collector_paused, scan_files

MATCHERS = compile_matchers(load_catalogue())


def _scan(root: Path, cache: Path | None, jobs: int = 1):
    return scan_files(root, discover(root).files, MATCHERS, jobs=jobs, cache=cache)


def test_second_run_comes_from_the_cache_with_the_same_results(corpus_copy: Path, tmp_path: Path):
    cache = tmp_path / "cache"
    cold = _scan(corpus_copy, cache)
    warm = _scan(corpus_copy, cache)
    assert not any(o.cached for o in cold)
    assert all(o.cached for o in warm)
    assert [o.scan for o in cold] == [o.scan for o in warm]


def test_a_changed_file_is_scanned_again(corpus_copy: Path, tmp_path: Path):
    cache = tmp_path / "cache"
    _scan(corpus_copy, cache)
    (corpus_copy / "calls.php").write_text("<?php each($a);\n", encoding="utf-8")
    outcomes = {o.path: o for o in _scan(corpus_copy, cache)}
    assert not outcomes["calls.php"].cached
    assert [h.rule for h in outcomes["calls.php"].scan.hits] == ["function.each"]
    assert outcomes["syntax.php"].cached


def test_a_damaged_cache_entry_is_ignored(tmp_path: Path):
    (tmp_path / "a.php").write_text("<?php each($a);\n", encoding="utf-8")
    cache = tmp_path / "cache"
    _scan(tmp_path, cache)
    for entry in cache.rglob("*.json"):
        entry.write_text("{broken", encoding="utf-8")
    (outcome,) = _scan(tmp_path, cache)
    assert not outcome.cached and outcome.scan.hits[0].rule == "function.each"


def test_without_a_cache_nothing_is_written(tmp_path: Path):
    (tmp_path / "a.php").write_text("<?php each($a);\n", encoding="utf-8")
    _scan(tmp_path, None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.php"]


def test_two_workers_give_the_results_of_one(tmp_path: Path):
    for n in range(100):
        (tmp_path / f"f{n:03}.php").write_text(f"<?php\n$x{n} = each($a{n});\n", encoding="utf-8")
    one = _scan(tmp_path, None, jobs=1)
    two = _scan(tmp_path, None, jobs=2)
    assert [(o.path, o.scan) for o in one] == [(o.path, o.scan) for o in two]


def test_the_cache_key_covers_the_catalogue():
    assert cache_salt("aaaa") != cache_salt("bbbb")


def _collector_enabled(_: int) -> bool:
    return gc.isenabled()


def test_the_collector_is_paused_in_the_parent_only_while_an_estimate_runs():
    from concurrent.futures import ProcessPoolExecutor

    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        # workers are forked from the paused parent: their start turns it back on
        with ProcessPoolExecutor(1, initializer=_start, initargs=(MATCHERS, None)) as pool:
            assert pool.submit(_collector_enabled, 0).result()
    assert gc.isenabled()
