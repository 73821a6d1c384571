"""Parsing: error nodes are classified, not dropped; unreadable files are listed."""

from __future__ import annotations

import os
from pathlib import Path

from tests.unit.estimate.conftest import request
from upkeep.estimate.catalogue import load_catalogue
from upkeep.estimate.matchers import compile_matchers
from upkeep.estimate.phpast import parser
from upkeep.estimate.scanner import scan_source
from upkeep.estimate.workflow import run_estimate

MATCHERS = compile_matchers(load_catalogue())


def test_curly_string_offset_is_an_error_node_classified_as_a_finding():
    source = b"<?php\n$first = $str{0};\necho each($list);\n"
    tree = parser().parse(source)
    assert tree.root_node.has_error  # the modern grammar rejects $str{0}
    scan = scan_source(source, MATCHERS)
    assert [(h.rule, h.line, h.column, h.name) for h in scan.hits] == [
        ("syntax.curly-offset", 2, 10, "$str{0}"),
        ("function.each", 3, 6, "each()"),
    ]
    assert scan.parse_errors == ()  # explained by the finding


def test_unexplained_errors_are_reported_and_the_file_is_still_scanned():
    scan = scan_source(b"<?php\n$a = ;\n$b = create_function('', '');\n", MATCHERS)
    assert scan.parse_errors == ((2, 6),)
    assert [h.rule for h in scan.hits] == ["function.create-function"]


def test_columns_count_characters_not_bytes():
    # "$€ = 'é'; " is 10 characters but 13 bytes: each( starts in column 11
    scan = scan_source("<?php\n$€ = 'é'; each($a);\n".encode(), MATCHERS)
    assert [(h.line, h.column) for h in scan.hits] == [(2, 11)]


def test_unreadable_files_are_listed(tmp_path: Path):
    (tmp_path / "ok.php").write_text("<?php each($a);\n", encoding="utf-8")
    os.symlink(tmp_path / "gone.php", tmp_path / "dangling.php")
    estimate = run_estimate(request(tmp_path))
    assert [(u.path, u.reason) for u in estimate.unreadable] == [
        ("dangling.php", "No such file or directory")
    ]
    assert estimate.files_scanned == 1
    assert [f.path for f in estimate.findings] == ["ok.php"]


def test_unreadable_files_appear_in_every_report(tmp_path: Path):
    from upkeep.reports.estimate import render_html, render_json, render_markdown

    os.symlink(tmp_path / "gone.php", tmp_path / "dangling.php")
    estimate = run_estimate(request(tmp_path))
    for render in (render_json, render_markdown, render_html):
        assert "dangling.php" in render(estimate)


def test_php_files_are_found_by_every_extension_php_projects_use(tmp_path: Path):
    for name in (
        "a.php",
        "b.inc",
        "c.module",
        "d.phtml",
        "e.install",
        "f.theme",
        "g.php5",
        "h.txt",
    ):
        (tmp_path / name).write_text("<?php each($x);\n", encoding="utf-8")
    estimate = run_estimate(request(tmp_path))
    assert sorted({f.path for f in estimate.findings}) == [
        "a.php",
        "b.inc",
        "c.module",
        "d.phtml",
        "e.install",
        "f.theme",
        "g.php5",
    ]


def test_composer_managed_vendor_is_left_out_but_copied_libraries_are_scanned(tmp_path: Path):
    site = tmp_path / "site"
    (site / "vendor" / "acme").mkdir(parents=True)
    (site / "composer.json").write_text("{}", encoding="utf-8")
    (site / "vendor" / "acme" / "lib.php").write_text("<?php each($a);\n", encoding="utf-8")
    (site / "legacy" / "vendor").mkdir(parents=True)
    (site / "legacy" / "vendor" / "old.php").write_text("<?php each($a);\n", encoding="utf-8")
    estimate = run_estimate(request(site))
    assert [f.path for f in estimate.findings] == ["legacy/vendor/old.php"]
    assert estimate.excluded == ("vendor/ (managed by Composer)",)


def test_unqualified_calls_in_a_namespace_fall_back_to_the_global_function(tmp_path: Path):
    (tmp_path / "a.php").write_text(
        "<?php\nnamespace App\\Other;\n$x = each($list);\n$y = \\App\\Other\\each($list);\n",
        encoding="utf-8",
    )
    estimate = run_estimate(request(tmp_path))
    assert [(f.line, f.rule) for f in estimate.findings] == [(3, "function.each")]


def test_a_reserved_word_the_parser_replaces_by_the_next_name_is_still_found():
    # tree-sitter reads `class Object extends Foo` as a class named Foo
    scan = scan_source(b"<?php\nclass Object extends Foo {}\n", MATCHERS)
    assert [(h.rule, h.name) for h in scan.hits] == [("syntax.reserved-class-name-72", "Object")]
    assert scan.parse_errors == ()


def test_pseudo_encodings_count_only_where_an_encoding_goes():
    source = (
        b"<?php\n$a = mb_strlen($s, 'HTML-ENTITIES');\n$b = mb_strpos($uri, 'base64');\n"
        b"$c = mb_strpos($uri, 'x', 0, 'BASE64');\n"
    )
    scan = scan_source(source, MATCHERS)
    assert [(h.rule, h.line) for h in scan.hits] == [
        ("call.mbstring-pseudo-encodings-arg1", 2),
        ("call.mbstring-pseudo-encodings-arg3", 4),
    ]


def test_unquoted_keys_in_simple_string_interpolation_are_strings():
    source = b'<?php\necho "Hi $row[id]";\necho "Hi {$row[id]}";\necho <<<T\n$row[name]\nT;\n'
    scan = scan_source(source, MATCHERS)
    assert [(h.rule, h.line, h.name) for h in scan.hits] == [("syntax.bareword-string", 3, "id")]
