"""Reports: the same input gives the same bytes; JSON carries every finding."""

from __future__ import annotations

import json
from pathlib import Path

from upkeep.estimate.report import render_html, render_json, render_markdown, to_data
from upkeep.estimate.workflow import run_estimate

from .conftest import FIXTURES, request


def _render_all(estimate) -> tuple[str, str, str]:
    return render_json(estimate), render_markdown(estimate), render_html(estimate)


def test_same_input_same_bytes_across_runs_workers_and_cache(corpus_copy: Path, tmp_path: Path):
    (corpus_copy / "composer.json").write_text('{"require": {"php": "^5.6"}}', encoding="utf-8")
    cache = tmp_path / "cache"
    cold = _render_all(run_estimate(request(corpus_copy, jobs=1)))
    parallel = _render_all(run_estimate(request(corpus_copy, jobs=2, cache=cache)))
    warm = _render_all(run_estimate(request(corpus_copy, jobs=2, cache=cache)))
    assert cold == parallel == warm


def test_reports_hold_no_absolute_paths_or_timestamps(corpus_copy: Path):
    estimate = run_estimate(request(corpus_copy, source="corpus"))
    for text in _render_all(estimate):
        assert str(corpus_copy) not in text
        assert str(Path.home()) not in text


def test_json_lists_every_finding_with_position_rule_and_message():
    estimate = run_estimate(request(FIXTURES / "corpus"))
    data = json.loads(render_json(estimate))
    assert len(data["findings"]) == len(estimate.findings)
    first = data["findings"][0]
    assert {"file", "line", "column", "rule", "message", "severity", "hint"} <= set(first)
    assert data["summary"]["hours"]["expected"] == estimate.effort.expected
    assert data == to_data(estimate)


def test_markdown_and_html_have_the_client_sections():
    estimate = run_estimate(request(FIXTURES / "corpus"))
    markdown, html = render_markdown(estimate), render_html(estimate)
    for heading in (
        "Summary",
        "Effort by category",
        "Files with the most work",
        "Risks a static scan cannot see",
        "Composer",
        "Findings",
    ):
        assert f"## {heading}" in markdown
    assert "String to number comparison" in markdown
    assert "<svg" in html and "<rect" in html  # the chart
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org", "")
    assert "removed_functions.php" in html


def test_html_escapes_code_excerpts(tmp_path: Path):
    (tmp_path / "x.php").write_text("<?php echo $$name['<b>'];\n", encoding="utf-8")
    estimate = run_estimate(request(tmp_path, start="5.6", end="7.0"))
    assert "'<b>'" in estimate.findings[0].message
    html = render_html(estimate)
    assert "&#39;&lt;b&gt;&#39;" in html
    assert "'<b>'" not in html


def test_json_explains_the_rules_behind_the_findings():
    data = json.loads(render_json(run_estimate(request(FIXTURES / "polyfill"))))
    assert data["rules"] == [
        {
            "id": "function.create-function",
            "category": "Functions",
            "deprecated": "7.2",
            "removed": "8.0",
            "tier": "medium",
            "autofix": True,
            "manual": "https://www.php.net/manual/en/migration72.php",
            "hint": data["rules"][0]["hint"],
        }
    ]
