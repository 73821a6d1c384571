"""The fixture corpus: exact findings per file and rule, line by line."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import yaml

from tests.unit.estimate.conftest import FIXTURES, request
from upkeep.estimate.catalogue import DETECTORS, Severity, load_catalogue
from upkeep.estimate.files import is_php
from upkeep.estimate.workflow import run_estimate

EXPECTED = yaml.safe_load((FIXTURES / "expected.yml").read_text(encoding="utf-8"))


def _findings_by_file(estimate) -> dict[str, list[str]]:
    found: dict[str, list[str]] = defaultdict(list)
    for finding in estimate.findings:
        found[finding.path].append(f"{finding.line}:{finding.column} {finding.rule}")
    return found


def test_every_corpus_file_is_in_the_expectations():
    php_files = sorted(p.name for p in (FIXTURES / "corpus").iterdir() if is_php(p.name))
    assert php_files == sorted(EXPECTED["findings"])


def test_corpus_findings_are_exactly_the_expected_ones():
    estimate = run_estimate(request(FIXTURES / "corpus"))
    found = _findings_by_file(estimate)
    for path, expected in EXPECTED["findings"].items():
        assert found.get(path, []) == expected, path
    assert set(found) <= set(EXPECTED["findings"])


def test_reviews_are_exactly_the_expected_ones():
    # two vendored copies of a class disagree on a method being static;
    # ini_restore() of a removed setting does nothing harmful
    estimate = run_estimate(request(FIXTURES / "corpus"))
    reviews: dict[str, list[str]] = defaultdict(list)
    for finding in estimate.findings:
        if finding.severity is Severity.REVIEW:
            reviews[finding.path].append(f"{finding.line}:{finding.column} {finding.rule}")
    assert dict(reviews) == EXPECTED["reviews"]


def test_negatives_produce_nothing():
    # a method named each, strings and comments with mysql_query(, a
    # namespaced function shadowing a removed one, use-function imports, guards
    estimate = run_estimate(request(FIXTURES / "corpus"))
    assert [f for f in estimate.findings if f.path == "negatives.php"] == []
    assert EXPECTED["findings"]["negatives.php"] == []


def test_parse_problems_are_exactly_the_unexplained_errors():
    estimate = run_estimate(request(FIXTURES / "corpus"))
    problems: dict[str, list[str]] = defaultdict(list)
    for problem in estimate.parse_problems:
        problems[problem.path].append(f"{problem.line}:{problem.column}")
    assert dict(problems) == EXPECTED["parse_problems"]


def test_the_corpus_exercises_every_detector():
    catalogue = load_catalogue()
    expected_rules = {
        entry.split()[1] for entries in EXPECTED["findings"].values() for entry in entries
    }
    detectors = {catalogue.rule(rule).detector for rule in expected_rules} - {None}
    assert detectors == DETECTORS


def test_a_polyfill_anywhere_in_the_project_cancels_the_removed_function():
    estimate = run_estimate(request(FIXTURES / "polyfill"))
    assert [(f.path, f.line, f.rule) for f in estimate.findings] == [
        ("app.php", 5, "function.create-function")
    ]


def test_only_changes_in_the_range_count():
    estimate = run_estimate(request(FIXTURES / "corpus", start="7.4", end="8.0"))
    rules = {f.rule for f in estimate.findings}
    assert "syntax.curly-offset" in rules  # removed in 8.0
    assert "function.each" in rules  # removed in 8.0
    assert "ext.mysql" not in rules  # removed in 7.0: already gone on 7.4
    assert "syntax.dynamic-property" not in rules  # deprecated in 8.2: after the target
    assert "syntax.implicitly-nullable" not in rules  # 8.4


def test_severity_depends_on_the_range():
    early = run_estimate(request(FIXTURES / "corpus", start="5.6", end="7.4"))
    late = run_estimate(request(FIXTURES / "corpus", start="7.4", end="8.2"))
    each_early = {f.severity for f in early.findings if f.rule == "function.each"}
    each_late = {f.severity for f in late.findings if f.rule == "function.each"}
    assert each_early == {Severity.DEPRECATED}
    assert each_late == {Severity.BREAKS}
    utf8 = {f.severity for f in late.findings if f.rule == "function.utf8-encode-decode"}
    assert utf8 == {Severity.DEPRECATED}


def test_findings_carry_message_hint_and_position(tmp_path: Path):
    (tmp_path / "a.php").write_text("<?php\n$x = mysql_query('q');\n", encoding="utf-8")
    (finding,) = run_estimate(request(tmp_path)).findings
    assert (finding.path, finding.line, finding.column) == ("a.php", 2, 6)
    assert (
        finding.message
        == "mysql_query() belongs to ext/mysql (deprecated in PHP 5.5, removed in 7.0)"
    )
    assert "mysqli" in finding.hint
