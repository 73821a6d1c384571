"""Issue 16's detection half: severities that say "review", names, repair, cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.estimate.conftest import request
from upkeep.estimate.catalogue import CatalogueError, Kind, Severity, load_catalogue
from upkeep.estimate.matchers import compile_matchers
from upkeep.estimate.phpast import parser
from upkeep.estimate.pool import _decode, _encode
from upkeep.estimate.repair import repair
from upkeep.estimate.scanner import scan_source
from upkeep.estimate.workflow import run_estimate

MATCHERS = compile_matchers(load_catalogue())


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return root


def _found(root: Path) -> list[tuple[str, int, str, str]]:
    return [
        (f.path, f.line, f.rule, f.severity.value) for f in run_estimate(request(root)).findings
    ]


CALLER = "<?php\nfunction load() {\n    return Registry::get('db');\n}\n"
INSTANCE_COPY = "<?php\nclass Registry {\n    function get($k) { return $k; }\n}\n"
STATIC_COPY = "<?php\nclass Registry {\n    static function get($k) { return $k; }\n}\n"


def test_two_copies_of_a_class_that_disagree_make_the_static_call_a_review(tmp_path: Path):
    one = _write(tmp_path / "one", {"app.php": CALLER, "lib/registry.php": INSTANCE_COPY})
    assert _found(one) == [("app.php", 3, "syntax.static-call-to-instance-method", "breaks")]
    # two vendored copies: one declares get() static, the other does not
    two = _write(
        tmp_path / "two",
        {"app.php": CALLER, "lib/a/registry.php": INSTANCE_COPY, "lib/b/registry.php": STATIC_COPY},
    )
    assert _found(two) == [("app.php", 3, "syntax.static-call-to-instance-method", "review")]


def test_restoring_a_removed_ini_setting_is_a_review_setting_it_breaks(tmp_path: Path):
    _write(
        tmp_path,
        {"a.php": "<?php\nini_restore('track_errors');\nini_set('track_errors', '1');\n"},
    )
    assert _found(tmp_path) == [
        ("a.php", 2, "ini.track-errors", "review"),
        ("a.php", 3, "ini.track-errors", "breaks"),
    ]


def test_function_names_are_shown_with_one_pair_of_parentheses(tmp_path: Path):
    _write(
        tmp_path,
        {
            "a.php": "<?php\n$x = each($list);\n$y = implode($parts, ',');\ncall_user_func('each');\n"
        },
    )
    messages = [f.message for f in run_estimate(request(tmp_path)).findings]
    assert messages == [
        "each() (deprecated in PHP 7.2, removed in 8.0)",
        "implode() with the array first (deprecated in PHP 7.4, removed in 8.0)",
        "each() (deprecated in PHP 7.2, removed in 8.0)",
    ]
    for rule in load_catalogue().rules:  # names of called functions carry their ()
        if rule.kind in (Kind.FUNCTION, Kind.CALL, Kind.EXTENSION):
            assert "()()" not in rule.describe("f()"), rule.id


LEGACY_CLASS = b"""<?php
class Legacy
{
    function first($s)
    {
        if ($s{0} == '#' && $s{strlen($s) - 1} == SELF) {
            return $s{1};
        }
    }

    function Legacy()
    {
    }
}
"""


def test_a_class_after_a_curly_offset_is_read_whole_after_repair():
    tree = parser().parse(LEGACY_CLASS)
    assert tree.root_node.has_error
    fixed, repaired, repairs = repair(LEGACY_CLASS)
    assert len(fixed) == len(LEGACY_CLASS) and not repaired.root_node.has_error
    assert [r.shown for r in repairs] == ["$s{0}", "$s{strlen($s) - 1}", "$s{1}"]
    scan = scan_source(LEGACY_CLASS, MATCHERS)
    assert [(h.rule, h.line, h.column, h.name) for h in scan.hits] == [
        ("syntax.curly-offset", 6, 13, "$s{0}"),
        ("syntax.curly-offset", 6, 29, "$s{strlen($s) - 1}"),
        ("syntax.curly-offset", 7, 20, "$s{1}"),
        ("syntax.php4-constructor", 11, 5, "Legacy::Legacy()"),
    ]
    assert scan.parse_errors == ()  # valid PHP 5 is not billed as manual review
    # a brace that never closes cannot be rewritten: still reported where it is
    unclosed = scan_source(b"<?php\n$a = $s{0;\n", MATCHERS)
    assert [(h.rule, h.line, h.column) for h in unclosed.hits] == [("syntax.curly-offset", 2, 6)]


def test_a_property_hook_is_no_curly_offset_even_in_a_file_with_errors():
    source = b"<?php\nclass A {\n    public string $name { get => $this->x; }\n}\n$a = ;\n"
    scan = scan_source(source, MATCHERS)
    assert (scan.hits, scan.parse_errors) == ((), ((5, 4),))


def test_review_marks_survive_the_scan_cache():
    scan = scan_source(b"<?php\nini_restore('track_errors');\n", MATCHERS)
    assert [h.review for h in scan.hits] == [True]
    assert _decode(_encode(scan)) == scan


def test_call_conditions_may_be_alternatives_with_argument_kinds(tmp_path: Path):
    rule = load_catalogue().rule("call.implode-reversed")
    assert [c.args_are for c in rule.when] == [(), ("expression", "string")]
    (tmp_path / "php70.yml").write_text(
        'line: "7.0"\nrules:\n  - {id: x, kind: call, message: m, hint: h, tier: small,'
        " removed: '7.0', names: [f], when: [{args_are: [variable]}]}\n",
        encoding="utf-8",
    )
    load_catalogue.cache_clear()
    with pytest.raises(CatalogueError, match="args_are kinds"):
        load_catalogue(tmp_path)
    load_catalogue.cache_clear()


def test_review_is_a_severity_of_its_own():
    assert Severity("review") is Severity.REVIEW
