"""Pricing on real trees: bundled libraries, the application's own tests, what is not PHP."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from tests.unit.estimate.conftest import request
from upkeep.estimate.errors import EstimateUsageError
from upkeep.estimate.libraries import find_libraries, header_library
from upkeep.estimate.model import Estimate
from upkeep.estimate.workflow import run_estimate

OLD = "<?php\n$r = mysql_query($sql);\n$x = each($a);\n"


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
    return root


def lines_of(estimate, category: str) -> list:
    return [line for line in estimate.effort.lines if line.category == category]


def regression_detail(estimate) -> str:
    return lines_of(estimate, "Regression testing")[0].detail


def test_libraries_are_found_by_path_composer_metadata_and_header(tmp_path: Path):
    write(
        tmp_path,
        {
            "index.php": OLD,
            "lib/Zend/Db.php": OLD,
            "lib/Zend/Db/Table.php": OLD,
            "includes/feeds/composer.json": '{"name": "acme/feeds"}',
            "includes/feeds/Feed.php": OLD,
            "vendor/composer/installed.json": json.dumps(
                {"packages": [{"name": "monolog/monolog", "version": "1.0.2"}]}
            ),
            "vendor/monolog/monolog/src/Logger.php": OLD,
            "wp-includes/class-simplepie.php": "<?php\n/**\n * @package SimplePie\n */\n",
            "wp-includes/own.php": "<?php\n/** @package MyShop */\n",
        },
    )
    files = tuple(sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.php")))
    headers = {"wp-includes/class-simplepie.php": "SimplePie"}
    found = {
        lib.name: (lib.paths, lib.evidence) for lib in find_libraries(tmp_path, files, headers)
    }
    assert found == {
        "acme/feeds": (("includes/feeds/",), "composer.json"),
        "monolog/monolog 1.0.2": (("vendor/monolog/monolog/",), "installed.json"),
        "SimplePie": (("wp-includes/class-simplepie.php",), "file header"),
        "Zend Framework": (("lib/Zend/",), "path"),
    }
    assert header_library(b"<?php\n/**\n * @category   Zend\n * @package    Zend_Db\n */") == (
        "Zend Framework"
    )


def test_a_vendored_library_is_one_line_and_not_in_the_testing_effort(tmp_path: Path):
    own = "<?php\n" + "$total = $a + $b;\n" * 99
    library = "<?php\n/**\n * @package SimplePie\n */\n" + "$x = each($a);\n" * 996
    write(tmp_path, {"index.php": own, "lib/feed.php": library, "phpunit.xml": "<phpunit/>"})
    estimate = run_estimate(request(tmp_path, start="7.4", end="8.2"))
    (line,) = lines_of(estimate, "Bundled library")
    assert line.detail.startswith("Upgrade or replace SimplePie (lib/feed.php; 1 file, 1,000 lines")
    assert regression_detail(estimate).startswith("100 lines of the application's own PHP")
    categories = {line.category for line in estimate.effort.lines}
    assert "Functions" not in categories  # each() in the library is not priced one by one
    assert estimate.effort.top_files == ()
    # the JSON still lists every finding, the library's too
    assert len(estimate.findings) == 996


def test_tests_means_test_cases_of_the_application_not_any_php_under_tests(tmp_path: Path):
    write(tmp_path, {"index.php": OLD, "tests/bootstrap.php": "<?php\n"})
    assert "no automated tests found" in regression_detail(run_estimate(request(tmp_path)))
    write(tmp_path, {"lib/smarty/tests/SmartyTest.php": "<?php\n"})
    assert "no automated tests found" in regression_detail(run_estimate(request(tmp_path)))
    write(tmp_path, {"tests/unit/CartTest.php": "<?php\n"})
    assert "automated tests found" in regression_detail(run_estimate(request(tmp_path)))
    assert "no automated" not in regression_detail(run_estimate(request(tmp_path)))


def test_runtime_risks_of_the_range_are_priced(tmp_path: Path):
    write(tmp_path, {"index.php": OLD})
    estimate = run_estimate(request(tmp_path, start="7.4", end="8.2"))
    details = [line.detail for line in lines_of(estimate, "Runtime-risk contingency")]
    assert [d.split(":")[0] for d in details] == [
        "8.0 string to number comparison",
        "8.1 null passed to internal function parameters",
        "8.2 dynamic properties where the type is unknown",
    ]
    assert all(line.expected > 0 for line in lines_of(estimate, "Runtime-risk contingency"))


@pytest.mark.parametrize("files", [{}, {"notes.txt": "hello", "style.css": "a {}"}])
def test_a_tree_without_php_is_refused(tmp_path: Path, files):
    write(tmp_path, files)
    with pytest.raises(EstimateUsageError, match=r"no PHP files under .*: nothing to estimate"):
        run_estimate(request(tmp_path))


def test_binary_files_named_php_are_not_php_text_and_not_billed(tmp_path: Path):
    write(
        tmp_path,
        {
            "index.php": OLD,
            "logo.php": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4,
            "latin1.php": "<?php\n// café\n$x = each($a);\n".encode("latin-1"),
        },
    )
    estimate = run_estimate(request(tmp_path))
    assert [(u.path, u.reason) for u in estimate.unreadable] == [
        ("logo.php", "not PHP text (binary data)")
    ]
    assert not estimate.parse_problems
    assert "Manual review" not in {line.category for line in estimate.effort.lines}
    assert {f.path for f in estimate.findings} == {"index.php", "latin1.php"}


def test_only_binary_files_is_nothing_to_estimate(tmp_path: Path):
    write(tmp_path, {"a.php": b"\x00\x01\x02" * 100})
    with pytest.raises(EstimateUsageError, match="nothing to estimate"):
        run_estimate(request(tmp_path))


def test_a_fifo_named_php_is_left_out_and_does_not_hang_the_scan(tmp_path: Path):
    write(tmp_path, {"index.php": OLD})
    os.mkfifo(tmp_path / "x.php")
    result: dict[str, Estimate] = {}
    worker = threading.Thread(
        target=lambda: result.update(estimate=run_estimate(request(tmp_path))), daemon=True
    )
    worker.start()
    worker.join(timeout=60)
    if worker.is_alive():  # the old scan blocks in open(): free it so the test run can end
        with open(tmp_path / "x.php", "wb"):
            pass
        worker.join(timeout=10)
        pytest.fail("the scan blocked on a FIFO named x.php")
    estimate = result["estimate"]
    assert "x.php (not a regular file: a FIFO)" in estimate.excluded
    assert [f.path for f in estimate.findings][:1] == ["index.php"]


def test_the_scan_itself_refuses_a_fifo_without_blocking(tmp_path: Path):
    """A file that turns into a FIFO after the listing: opened non-blocking, then refused."""
    from upkeep.estimate.catalogue import load_catalogue
    from upkeep.estimate.matchers import compile_matchers
    from upkeep.estimate.pool import scan_files

    os.mkfifo(tmp_path / "late.php")
    matchers = compile_matchers(load_catalogue())
    outcomes: list = []
    worker = threading.Thread(
        target=lambda: outcomes.extend(
            scan_files(tmp_path, ["late.php"], matchers, jobs=1, cache=None)
        ),
        daemon=True,
    )
    worker.start()
    worker.join(timeout=60)
    if worker.is_alive():
        with open(tmp_path / "late.php", "wb"):
            pass
        worker.join(timeout=10)
        pytest.fail("the scan blocked on a FIFO")
    assert [(o.path, o.scan, o.error) for o in outcomes] == [
        ("late.php", None, "not a regular file")
    ]


def test_a_fifo_named_composer_json_below_the_root_does_not_hang(tmp_path: Path):
    write(tmp_path, {"index.php": OLD, "lib/feeds/Feed.php": OLD})
    os.mkfifo(tmp_path / "lib" / "feeds" / "composer.json")
    found: list = []
    worker = threading.Thread(
        target=lambda: found.extend(
            find_libraries(tmp_path, ("index.php", "lib/feeds/Feed.php"), {})
        ),
        daemon=True,
    )
    worker.start()
    worker.join(timeout=60)
    if worker.is_alive():
        with open(tmp_path / "lib" / "feeds" / "composer.json", "w"):
            pass
        worker.join(timeout=10)
        pytest.fail("reading a FIFO named composer.json blocked")
    assert found == []
